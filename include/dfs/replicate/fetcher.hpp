// Fetcher: a chunk's sealed bytes from the peers closest to its ID, the
// least busy of its likely holders first (by this peer's GETs in flight to
// each), then the others closest first, hedged (ReplicationConfig's fetch_*
// fields), verified against the ID. Never from the local stores, which the caller's chunk chain
// (store/chunk_source.hpp) asked already; fetched chunks are not stored:
// caching is the caller's choice. In a network smaller than k the first
// GET leaves together with the lookup, to a likely holder the routing
// table names (ClosestPeers::closest_known), so a fetch whose peer set
// expired costs one round trip, not two.
//
// Threading and lifetime: loop thread only; `done` never runs inside
// fetch(). It may be destroyed with fetches in flight: their `done` is then
// never called. Everything it takes by reference must outlive it.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "dfs/dht/dht.hpp"
#include "dfs/replicate/closest_peers.hpp"
#include "dfs/replicate/config.hpp"
#include "dfs/replicate/lifeline.hpp"
#include "dfs/replicate/stats.hpp"
#include "dfs/replicate/transfers.hpp"

namespace dfs::replicate {

class Fetcher {
 public:
  // Uses config's replicas and fetch_* fields (already in range, see
  // Replicator). Counts into `counters` (fetches, fetch_failures,
  // corrupt_responses). `runner` (may be null) hashes the answers.
  Fetcher(dht::Dht& dht, ClosestPeers& peers, Transfers& transfers, Scheduler& scheduler, BlockingRunner* runner,
          const ReplicationConfig& config, Counters& counters);
  ~Fetcher() { life_.cut(); }
  Fetcher(const Fetcher&) = delete;
  Fetcher& operator=(const Fetcher&) = delete;

  // The bytes, verified. A failed, missing or corrupt answer falls back to
  // the next peer; corrupt ones are logged with the peer's ID and address.
  // Fails with Errc::not_found when every peer asked answered that it
  // holds no such chunk, else Errc::unavailable (saying how many peers
  // were asked and how they failed), at the latest after fetch_timeout.
  void fetch(const ChunkId& id, std::function<void(Result<Bytes>)> done);

 private:
  struct Op;

  void from_peers(const std::shared_ptr<Op>& op);
  void take_found(Op& op, const dht::NodeId& key, std::vector<dht::Contact> found);
  void note_silent_holders(Op& op);
  std::size_t likely_holders(const dht::NodeId& key, const std::vector<dht::Contact>& candidates) const;
  dht::Contact take_least_busy(Op& op);
  void ask_more(const std::shared_ptr<Op>& op);
  void arm_hedge(const std::shared_ptr<Op>& op);
  void answered(const std::shared_ptr<Op>& op, const dht::Contact& from, Result<Bytes> answer);
  void checked(const std::shared_ptr<Op>& op, const dht::Contact& from, std::shared_ptr<Bytes> bytes,
               Status verified);
  void finish(const std::shared_ptr<Op>& op, Result<Bytes> result);
  // Ends a fetch that found no replica with `error`, unless contacts this
  // peer dropped are worth one more try first (see the .cpp).
  void fail(const std::shared_ptr<Op>& op, Error error);

  dht::Dht& dht_;
  ClosestPeers& peers_;
  Transfers& transfers_;
  Scheduler& scheduler_;
  const ReplicationConfig config_;
  Counters& counters_;
  // GETs in flight per peer, over every fetch (no entry: none).
  std::unordered_map<dht::NodeId, std::size_t> gets_to_;
  Lifeline life_;
};

}  // namespace dfs::replicate
