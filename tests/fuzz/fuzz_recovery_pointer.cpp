// Fuzzes decode_pointer: a recovery pointer is read from the DHT on a new
// machine. It is authenticated by the recovery key before it is decoded,
// but its decoder is bounded and fuzzed like every other.
//
// Properties: no crash; an accepted pointer lists 1..kMaxPointerSnapshots
// directories and encodes back to the input.
#include "dfs/chunk/recovery_pointer.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dfs;
  auto pointer = decode_pointer(ByteView(data, size));
  if (!pointer.ok()) {
    FUZZ_CHECK(!pointer.error().message.empty());
    return 0;
  }
  FUZZ_CHECK(!pointer->snapshots.empty() && pointer->snapshots.size() <= kMaxPointerSnapshots);
  for (const SnapshotRef& s : pointer->snapshots) FUZZ_CHECK(s.root.is_directory());
  const Bytes again = encode_pointer(*pointer);
  FUZZ_CHECK(again == Bytes(data, data + size));
  return 0;
}
