// RecordStore: the records a node keeps for the DHT, each until its TTL
// runs out (DESIGN.md §4, STORE / FIND_VALUE).
//
// A key holds at most kMaxRecordsPerKey records, one per publisher. A
// record received again from the same publisher replaces the stored one
// when it expires no earlier (a republish, or a newer version); an older
// copy arriving late through replication does not roll it back.
//
// A signed record (dht/signed_record.hpp) is one per key, whoever sent it:
// a higher sequence number replaces it, the same one refreshes it, a lower
// one is refused (a replayed old pointer never rolls it back). It may live
// up to `max_signed_ttl`, and takes the place of a plain record when the
// key is full, so junk under its key cannot keep it out.
//
// Not thread-safe; owned by one Dht and used on its loop thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <unordered_map>
#include <vector>

#include "dfs/dht/messages.hpp"
#include "dfs/dht/routing_table.hpp"

namespace dfs::dht {

class RecordStore {
 public:
  struct Stored {
    Record record;          // ttl_seconds as received
    TimePoint expires_at;   // receipt + min(ttl, max_ttl)
    TimePoint received_at;  // last time it was stored or refreshed
    std::optional<std::uint64_t> sequence;  // set for a signed record
  };

  RecordStore(std::size_t max_records, std::chrono::milliseconds max_ttl,
              std::chrono::milliseconds max_signed_ttl = std::chrono::milliseconds(0));

  // Stores `record` (validated with validate_record). False when invalid,
  // when the key already holds kMaxRecordsPerKey other publishers, when
  // the store is full, or for a signed record older than the one held.
  bool put(const Record& record, TimePoint now);

  // Live records under `key`, each with ttl_seconds set to what it has left
  // (rounded up, so a live record never reads 0).
  std::vector<Record> get(const NodeId& key, TimePoint now) const;

  // Drops expired records; returns how many.
  std::size_t expire(TimePoint now);

  // Live records not received within `interval`, with their remaining TTL:
  // the ones this node should replicate because nobody refreshed them.
  // Marks them as received now, so each is handed out once per interval.
  std::vector<Record> take_due_for_replication(TimePoint now, std::chrono::milliseconds interval);

  std::size_t size() const { return size_; }

 private:
  bool put_signed(const Record& record, std::uint64_t sequence, TimePoint now);

  std::unordered_map<NodeId, std::vector<Stored>> by_key_;
  std::size_t max_records_;
  std::chrono::milliseconds max_ttl_;
  std::chrono::milliseconds max_signed_ttl_;  // max_ttl_ when given as 0
  std::size_t size_ = 0;  // records over all keys
};

// Seconds left until `expires_at`, rounded up; 0 once expired.
std::uint32_t remaining_ttl_seconds(TimePoint expires_at, TimePoint now);

}  // namespace dfs::dht
