// Chunk IDs for unit tests that need distinct, recognisable IDs and do not
// care what they hash (codecs, indexes, bookkeeping).
#pragma once

#include <cstdint>

#include "dfs/chunk/chunk_id.hpp"

namespace dfs::testing {

// The ID whose 32 bytes are all `n`.
inline ChunkId chunk_id_filled(std::uint8_t n) {
  ChunkId id;
  id.bytes.fill(n);
  return id;
}

}  // namespace dfs::testing
