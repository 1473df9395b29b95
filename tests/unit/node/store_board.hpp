// Test doubles for the recovery pointer: a RecordBoard that keeps records as
// one DHT node does (dht::RecordStore), and snapshot references.
#pragma once

#include <array>
#include <atomic>
#include <mutex>

#include "dfs/chunk/recovery_pointer.hpp"
#include "dfs/dht/record_board.hpp"
#include "dfs/dht/record_store.hpp"

namespace dfs::node::doubles {

// One DHT node's record store as a board. Locked like a real network's
// callers would be served (publishers may run on several threads).
class StoreBoard final : public dht::RecordBoard {
 public:
  Status publish(dht::Record record) override {
    ++published;
    std::lock_guard lock(mu_);
    record.publisher.bytes.fill(7);
    if (!store_.put(record, now_)) return make_error(Errc::unavailable, "no node accepted the record");
    return {};
  }
  Result<std::vector<dht::Record>> find(const dht::NodeId& key) override {
    std::lock_guard lock(mu_);
    auto records = store_.get(key, now_);
    if (records.empty()) return make_error(Errc::not_found, "none");
    return records;
  }
  // Puts a record straight into the store (a peer serving what it likes).
  bool offer(const dht::Record& record) {
    std::lock_guard lock(mu_);
    return store_.put(record, now_);
  }

  std::atomic<int> published{0};  // publish() calls

 private:
  std::mutex mu_;
  dht::RecordStore store_{100, std::chrono::hours(24), std::chrono::hours(24 * 31)};
  dht::TimePoint now_ = dht::TimePoint{} + std::chrono::hours(1);
};

// A snapshot whose root (ID and key) is a function of `taken_at`.
inline SnapshotRef snapshot(std::int64_t taken_at) {
  SnapshotRef s;
  s.root.kind = IdKind::directory;
  s.root.manifest.bytes.fill(static_cast<std::uint8_t>(taken_at));
  std::array<std::uint8_t, crypto::kKeySize> key{};
  key.fill(static_cast<std::uint8_t>(taken_at >> 8));
  s.root.key = crypto::SecretKey::from_bytes(key);
  s.taken_at = taken_at;
  s.files = 3;
  return s;
}

}  // namespace dfs::node::doubles
