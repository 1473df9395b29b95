// Fuzzes VerifiedFiles::restore (store/verified_files.hpp), which reads a
// chunk store's `verified` file at open: a file on disk anyone with access
// to the data directory may have damaged.
//
// Properties: no out-of-bounds reads or huge allocations whatever the
// count says; an input restore refuses leaves nothing remembered; one it
// accepts encodes back to the same bytes (every entry kept, in order).
#include "dfs/store/verified_files.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dfs;
  store::VerifiedFiles verified;
  const ByteView input(data, size);
  if (!verified.restore(input).ok()) {
    FUZZ_CHECK(verified.encode() == store::VerifiedFiles().encode());
    return 0;
  }
  store::VerifiedFiles again;
  FUZZ_CHECK(again.restore(verified.encode()).ok());
  FUZZ_CHECK(again.encode() == verified.encode());
  return 0;
}
