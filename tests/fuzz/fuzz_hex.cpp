// Fuzzes from_hex and ChunkId::from_hex, which read chunk IDs from paths,
// the control socket and the command line.
//
// Properties: no out-of-bounds reads; accepted text re-encodes to itself
// (lowercased); a chunk ID is exactly 64 hex characters.
#include "dfs/chunk/chunk_id.hpp"
#include "dfs/util/encoding.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dfs;
  const std::string_view text = fuzz::as_text(data, size);

  auto decoded = from_hex(text);
  if (decoded.ok()) {
    FUZZ_CHECK(decoded->size() * 2 == size);
    FUZZ_CHECK(to_hex(*decoded) == fuzz::ascii_lower(text));
  }

  auto id = ChunkId::from_hex(text);
  FUZZ_CHECK(id.ok() == (decoded.ok() && size == 2 * crypto::kDigestSize));
  if (id.ok()) FUZZ_CHECK(id->hex() == fuzz::ascii_lower(text));
  return 0;
}
