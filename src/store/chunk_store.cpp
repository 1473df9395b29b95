#include "dfs/store/chunk_store.hpp"

#include <string>

namespace dfs::store {

Status check_sealed(const ChunkId& id, ByteView sealed) {
  if (sealed.size() > kMaxSealedChunkSize) {
    return make_error(Errc::too_large, "chunk " + id.short_hex() + " has " + std::to_string(sealed.size()) +
                                           " bytes, above the limit of " + std::to_string(kMaxSealedChunkSize));
  }
  if (ChunkId::of(sealed) != id) {
    return make_error(Errc::corrupt, "bytes offered for chunk " + id.short_hex() + " do not hash to its ID");
  }
  return {};
}

}  // namespace dfs::store
