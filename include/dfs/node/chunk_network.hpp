// ChunkNetwork: what Node needs from the P2P engine, as blocking calls it
// can make from its own threads. Implemented by node/peer (TLS, DHT and
// replicate/ on a network thread); absent for a lone peer.
#pragma once

#include <vector>

#include "dfs/node/service.hpp"

namespace dfs::node {

struct ReplicationSummary {
  std::uint32_t wanted = 0;         // R
  std::uint32_t min_confirmed = 0;  // fewest copies confirmed for any chunk
  // Chunks this peer is not one of the R closest to: once the others hold
  // them, they need not stay in this peer's store.
  std::vector<ChunkId> not_ours;
};

class ChunkNetwork {
 public:
  virtual ~ChunkNetwork() = default;
  // The chunk from the peers closest to its ID, verified against `id`.
  virtual Result<Bytes> fetch(const ChunkId& id) = 0;
  // Places each chunk (already in the local store) on the R closest peers.
  virtual ReplicationSummary replicate(const std::vector<ChunkId>& ids) = 0;
  // Fills in the network fields of a status.
  virtual void describe(ServiceStatus& status) = 0;
  virtual std::vector<PeerSummary> peers() = 0;
};

}  // namespace dfs::node
