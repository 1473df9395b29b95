// Locator: which of the R closest live peers of each chunk hold it, on
// demand (`dfs where`, `dfs check`): the peers from ClosestPeers (so a
// network smaller than k costs no lookup per chunk), HAS_CHUNKS batches to
// them through Transfers, and this node's served store when it is one of
// the R. The chunks go a wave at a time, with a bounded number of lookups
// in flight, so a file of 100,000 chunks costs no more sockets than one of
// 1,000, and a HAS_CHUNKS per peer per wave rather than per chunk.
//
// Threading and lifetime: loop thread only; `done` never runs inside
// locate(). It may be destroyed with locates in flight: their `done` is
// then never called. Everything it takes by reference must outlive it.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "dfs/dht/dht.hpp"
#include "dfs/replicate/chunk_location.hpp"
#include "dfs/replicate/closest_peers.hpp"
#include "dfs/replicate/lifeline.hpp"
#include "dfs/replicate/local_chunks.hpp"
#include "dfs/replicate/placement.hpp"
#include "dfs/replicate/transfers.hpp"

namespace dfs::replicate {

class Locator {
 public:
  // `replicas` is R, `batch` the most chunks one HAS_CHUNKS asks about
  // (both at least 1); `runner` (may be null) asks the store.
  Locator(dht::Dht& dht, ClosestPeers& peers, Transfers& transfers, LocalChunks local, Scheduler& scheduler,
          BlockingRunner* runner, std::size_t replicas, std::size_t batch);
  ~Locator() { life_.cut(); }
  Locator(const Locator&) = delete;
  Locator& operator=(const Locator&) = delete;

  // One ChunkLocation per chunk, in the order asked. Never fails: a peer
  // that does not answer is listed as unreachable.
  void locate(std::vector<ChunkId> ids, std::function<void(std::vector<ChunkLocation>)> done);

 private:
  struct Op;

  void start_wave(const std::shared_ptr<Op>& op);
  void look_up_more(const std::shared_ptr<Op>& op);
  void placed(Op& op, std::size_t at, const Placement& placement);
  void ask(const std::shared_ptr<Op>& op);
  void record(Op& op, const dht::Contact& peer, const std::vector<std::size_t>& chunks,
              const Result<std::vector<bool>>& held);
  void answered(const std::shared_ptr<Op>& op);

  dht::Dht& dht_;
  ClosestPeers& peers_;
  Transfers& transfers_;
  const LocalChunks local_;
  const std::size_t replicas_;
  const std::size_t batch_;
  Lifeline life_;
};

}  // namespace dfs::replicate
