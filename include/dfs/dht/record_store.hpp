// RecordStore: the records a node keeps for the DHT, each until its TTL
// runs out (DESIGN.md §4, STORE / FIND_VALUE).
//
// A key holds at most kMaxRecordsPerKey records, one per publisher. A
// record received again from the same publisher replaces the stored one
// when it expires no earlier (a republish, or a newer version); an older
// copy arriving late through replication does not roll it back.
//
// Not thread-safe; owned by one Dht and used on its loop thread.
#pragma once

#include <chrono>
#include <cstddef>
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
  };

  RecordStore(std::size_t max_records, std::chrono::milliseconds max_ttl);

  // Stores `record` (validated with validate_record). False when invalid,
  // when the key already holds kMaxRecordsPerKey other publishers, or when
  // the store is full.
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
  std::unordered_map<NodeId, std::vector<Stored>> by_key_;
  std::size_t max_records_;
  std::chrono::milliseconds max_ttl_;
  std::size_t size_ = 0;  // records over all keys
};

// Seconds left until `expires_at`, rounded up; 0 once expired.
std::uint32_t remaining_ttl_seconds(TimePoint expires_at, TimePoint now);

}  // namespace dfs::dht
