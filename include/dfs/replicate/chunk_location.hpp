// ChunkLocation: where one chunk is, as Replicator::locate() found it by
// asking the R closest live peers (`dfs where`, `dfs check`).
#pragma once

#include <cstddef>
#include <vector>

#include "dfs/chunk/chunk_id.hpp"
#include "dfs/dht/contact.hpp"

namespace dfs::replicate {

// Where one chunk is, as locate() found it.
struct ChunkLocation {
  ChunkId id;
  bool self_is_replica = false;          // this node is one of its R closest
  bool self_holds = false;               // ... and its served store holds it
  std::vector<dht::Contact> holders;     // the other R closest that hold it
  std::vector<dht::Contact> lacking;     // those that said they do not
  std::vector<dht::Contact> unreachable; // those that did not answer

  // Copies confirmed on the R closest live peers.
  std::size_t copies() const { return holders.size() + (self_holds ? 1 : 0); }
};

}  // namespace dfs::replicate
