// Locator: which of the R closest live peers of each chunk hold it, on
// demand (`dfs where`, `dfs check`): the peers from ClosestPeers (so a
// network smaller than k costs no lookup per chunk), a HAS_CHUNKS to each
// through Transfers, and this node's served store when it is one of the R.
// A bounded window of chunks is in flight at once, so a file of 100,000
// chunks costs no more memory or sockets than one of 100.
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
  // `replicas` is R (at least 1); `runner` (may be null) asks the store.
  Locator(dht::Dht& dht, ClosestPeers& peers, Transfers& transfers, LocalChunks local, Scheduler& scheduler,
          BlockingRunner* runner, std::size_t replicas);
  ~Locator() { life_.cut(); }
  Locator(const Locator&) = delete;
  Locator& operator=(const Locator&) = delete;

  // One ChunkLocation per chunk, in the order asked. Never fails: a peer
  // that does not answer is listed as unreachable.
  void locate(std::vector<ChunkId> ids, std::function<void(std::vector<ChunkLocation>)> done);

 private:
  struct Op;

  void start_more(const std::shared_ptr<Op>& op);
  void ask(const std::shared_ptr<Op>& op, std::size_t at, const Placement& placement);
  void answered(const std::shared_ptr<Op>& op, std::size_t at);

  dht::Dht& dht_;
  ClosestPeers& peers_;
  Transfers& transfers_;
  const LocalChunks local_;
  const std::size_t replicas_;
  Lifeline life_;
};

}  // namespace dfs::replicate
