#include "dfs/node/leases.hpp"

#include <algorithm>

#include "dfs/util/log.hpp"

namespace dfs::node {

LeaseBook::LeaseBook(index::Index& index, store::InFlightChunks& in_flight, std::chrono::seconds length,
                     UnixClock clock)
    : index_(index), in_flight_(in_flight), length_(length), clock_(std::move(clock)), hold_(in_flight.hold()) {}

LeaseBook::~LeaseBook() {
  Status flushed = flush();
  if (!flushed.ok()) log::warn("leases of " + std::to_string(buffer_.size()) + " chunks were not recorded: " +
                               flushed.error().to_string());
}

void LeaseBook::lease(const ChunkId& id, const dht::NodeId& placer, const replicate::PlacerKey& key) {
  buffer({id, placer.bytes, key});
}

void LeaseBook::renew(const ChunkId& id) { buffer({id, std::nullopt}); }

void LeaseBook::renew_placed_by(const std::vector<ChunkId>& ids, const dht::NodeId& asker,
                                const replicate::PlacerKey& key) {
  Status flushed = flush();
  if (flushed.ok()) flushed = index_.renew_leases_placed_by(ids, asker.bytes, clock_() + length_.count(), key);
  // Only a renewal lost: the placer asks again next round.
  if (!flushed.ok()) log::warn("renewing leases: " + flushed.error().to_string());
}

void LeaseBook::renew_keyed(const std::vector<ChunkId>& ids, const crypto::PublicKey& key, std::int64_t issued_at) {
  const std::int64_t now = clock_();
  if (issued_at > now + replicate::kMaxRenewalSkew) {
    log::warn("a keyed lease renewal dated " + std::to_string(issued_at - now) +
              " s ahead of this clock renews nothing (is a clock wrong?)");
    return;
  }
  // From when it was signed, not from now: a replay extends nothing more.
  Status flushed = flush();
  if (flushed.ok()) flushed = index_.renew_leases_keyed(ids, key, std::min(issued_at, now) + length_.count());
  if (!flushed.ok()) log::warn("renewing leases: " + flushed.error().to_string());
}

void LeaseBook::buffer(index::Index::LeaseGrant grant) {
  bool full = false;
  {
    std::lock_guard lock(mu_);
    hold_.add(grant.chunk);
    buffer_.push_back(std::move(grant));
    full = buffer_.size() >= kFlushBatch;
  }
  if (!full) return;
  Status flushed = flush();
  if (!flushed.ok()) log::warn("recording leases: " + flushed.error().to_string() + "; will retry");
}

Status LeaseBook::flush() {
  std::lock_guard serial(flush_mu_);
  std::vector<index::Index::LeaseGrant> batch;
  store::InFlightChunks::Hold batch_hold;
  {
    std::lock_guard lock(mu_);
    if (buffer_.empty()) return {};
    batch.swap(buffer_);
    batch_hold = std::exchange(hold_, in_flight_.hold());
  }
  Status written = index_.extend_leases(batch, clock_() + length_.count());
  if (!written.ok()) {
    // Back into the buffer, still held: GC must keep off them until a
    // later flush records them.
    std::lock_guard lock(mu_);
    for (index::Index::LeaseGrant& grant : batch) {
      hold_.add(grant.chunk);
      buffer_.push_back(std::move(grant));
    }
  }
  return written;  // batch_hold ends here: the leases are in the index
}

}  // namespace dfs::node
