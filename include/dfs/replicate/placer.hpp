// Placer: puts a new chunk on the R peers closest to its ID (DESIGN.md §4,
// Placement) — a put's or a mount's chunk streamed while its sealed bytes
// are in memory (replicate_sealed), or one read back from the local stores
// (replicate).
//
// Threading and lifetime: loop thread only; callbacks never run inside the
// call that takes them. It may be destroyed with operations in flight:
// their `done` is then never called. Everything it takes by reference
// must outlive it.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "dfs/dht/dht.hpp"
#include "dfs/replicate/closest_peers.hpp"
#include "dfs/replicate/lifeline.hpp"
#include "dfs/replicate/local_chunks.hpp"
#include "dfs/replicate/stats.hpp"
#include "dfs/replicate/transfers.hpp"

namespace dfs::replicate {

// The outcome of placing a chunk: never an error for network trouble,
// which is what `confirmed < wanted` says.
struct ReplicaReport {
  std::size_t wanted = 0;     // R
  // Copies known to exist on their intended holders: the peers that
  // acknowledged the PUT, plus this node when it is one of the R closest.
  std::size_t confirmed = 0;
  bool self_is_replica = false;
  std::vector<dht::Contact> holders;  // the peers that acknowledged (not self)

  bool under_replicated() const { return confirmed < wanted; }
};

class Placer {
 public:
  // `replicas` is R (at least 1). Counts into `counters` (replicated,
  // copies_pushed).
  Placer(dht::Dht& dht, ClosestPeers& peers, Transfers& transfers, LocalChunks local, Scheduler& scheduler,
         BlockingRunner* runner, std::size_t replicas, Counters& counters);
  ~Placer() { life_.cut(); }
  Placer(const Placer&) = delete;
  Placer& operator=(const Placer&) = delete;

  // Pushes the chunk (read from the local stores) to the R peers closest
  // to its ID, in parallel; this node counts as one of them when it is
  // among the R closest. A replica that refuses or cannot be reached is
  // replaced by the next closest peer the lookup found (at most R such
  // stand-ins). With fewer peers than R, every peer gets a copy and the
  // report says under-replicated. Fails only when the chunk cannot be read
  // locally (not_found, corrupt, io_error); with no peer to push to it is
  // not read at all.
  void replicate(const ChunkId& id, std::function<void(Result<ReplicaReport>)> done);
  // The same for a chunk whose sealed bytes the caller holds (a put that
  // just sealed them): no read back, no second hash. `sealed` must hash to
  // `id` (receivers check it anyway). Never fails.
  void replicate_sealed(const ChunkId& id, std::shared_ptr<const Bytes> sealed,
                        std::function<void(Result<ReplicaReport>)> done);

 private:
  struct Op;

  void read_and_push(const std::shared_ptr<Op>& op);
  void place_and_push(const std::shared_ptr<Op>& op);
  void push_replica(const std::shared_ptr<Op>& op, const dht::Contact& to, std::size_t busy_answers = 0);
  void finish(const std::shared_ptr<Op>& op, Result<ReplicaReport> result);

  dht::Dht& dht_;
  ClosestPeers& peers_;
  Transfers& transfers_;
  const LocalChunks local_;
  const std::size_t replicas_;
  Counters& counters_;
  Lifeline life_;
};

}  // namespace dfs::replicate
