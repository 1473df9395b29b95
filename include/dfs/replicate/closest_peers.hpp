// ClosestPeers: the peers closest to a key, as a DHT lookup finds them —
// or, in a network smaller than k, from the set of every peer a recent
// lookup found (ReplicationConfig::small_network_ttl), so that placing or
// fetching the thousands of chunks of one file does not cost a lookup each.
//
// Once the routing table holds k verified peers (the network is then
// provably not small), a lookup settles as soon as the `settle` closest it
// knows have answered (dht.hpp, find_closest): placement and fetch use only
// the R holders and R stand-ins, and a settled lookup costs a few round
// trips where a strict one waits ~8 on a WAN for all k to answer.
//
// Below k known peers, a find runs a strict lookup that may show the
// network small. Finds that come while one runs (the first chunks of a
// get or put, all at once) wait for it instead of each running its own,
// which would ask every peer again for the same answer.
//
// Peers the Distrusted set holds are never returned: placing a copy on a
// peer caught lying about what it stores, or asking it for one, is wasted.
//
// Loop thread only. `done` runs on a later turn of the loop either way,
// unless the ClosestPeers is destroyed first (it may be, with lookups in
// flight). The Dht and the Scheduler must outlive it.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <vector>

#include "dfs/dht/dht.hpp"
#include "dfs/replicate/distrusted.hpp"
#include "dfs/replicate/lifeline.hpp"

namespace dfs::replicate {

class ClosestPeers {
 public:
  // `ttl` 0: a lookup for every call. `settle` (1..k; 0: never) is how
  // many closest peers a lookup in a large network waits for.
  // `distrusted` must outlive it.
  ClosestPeers(dht::Dht& dht, Scheduler& scheduler, std::chrono::milliseconds ttl, std::size_t settle,
               const Distrusted& distrusted);
  ~ClosestPeers() { life_.cut(); }
  ClosestPeers(const ClosestPeers&) = delete;
  ClosestPeers& operator=(const ClosestPeers&) = delete;

  // The peers a lookup of `key` finds, in no particular order (callers
  // order them by distance themselves).
  void find(const dht::NodeId& key, std::function<void(std::vector<dht::Contact>)> done);
  // In a network smaller than k (the routing table holds fewer than k
  // peers), the `n` peers of the table closest to `key`, without a lookup:
  // where a chunk most likely is before find() says for sure. Empty in a
  // larger network, whose table need not hold a key's closest peers.
  std::vector<dht::Contact> closest_known(const dht::NodeId& key, std::size_t n) const;
  // A peer did not answer: the remembered set may be stale, so the next
  // find() looks up again.
  void forget() { small_network_.reset(); }

 private:
  // Every peer of a network smaller than k, and until when to trust that.
  // `known`: the routing table's peers when the lookup ended (the ones
  // found and any that did not answer). A peer the table learns later is
  // a newcomer the set lacks: the set is stale then, whatever its age.
  struct PeerSet {
    std::vector<dht::Contact> peers;
    std::vector<dht::NodeId> known;  // sorted
    std::chrono::steady_clock::time_point until;
  };

  // A find() waiting for the lookup that may show the network small.
  struct Waiting {
    dht::NodeId key;
    std::function<void(std::vector<dht::Contact>)> done;
  };

  // A lookup of `key` for `done`, or (done null) for waiting_.
  void lookup(const dht::NodeId& key, std::function<void(std::vector<dht::Contact>)> done, bool settle);
  void release_waiting(std::vector<dht::Contact> found);
  std::vector<dht::NodeId> table_ids() const;  // sorted
  bool table_has_newcomer(const PeerSet& set) const;

  dht::Dht& dht_;
  Scheduler& scheduler_;
  const std::chrono::milliseconds ttl_;
  const std::size_t settle_;
  const Distrusted& distrusted_;
  std::optional<PeerSet> small_network_;
  // Finds made while a strict lookup that may set small_network_ runs,
  // the first one's key being the one looked up; empty when none runs.
  std::vector<Waiting> waiting_;
  Lifeline life_;
};

}  // namespace dfs::replicate
