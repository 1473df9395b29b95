#include "dfs/chunk/chunk_id.hpp"

#include "dfs/util/encoding.hpp"

namespace dfs {

std::string ChunkId::hex() const { return to_hex(bytes); }

Result<ChunkId> ChunkId::from_hex(std::string_view text) {
  if (text.size() != 2 * crypto::kDigestSize) {
    return make_error(Errc::invalid_argument, "a chunk ID has 64 hex characters, got " + std::to_string(text.size()));
  }
  DFS_ASSIGN_OR_RETURN(Bytes raw, dfs::from_hex(text));
  ChunkId id;
  std::copy(raw.begin(), raw.end(), id.bytes.begin());
  return id;
}

}  // namespace dfs
