// Fuzzes decode_manifest_segment on raw plaintext, i.e. what a holder of
// the file key gets after a segment authenticates. The key holder may be
// the attacker (anyone can seal a manifest with their own key and hand out
// the File ID), so the decoder must be safe on any bytes.
//
// Properties: no out-of-bounds reads or huge allocations from claimed
// counts; the encoding is canonical, encode(decode(x)) == x; a head's
// counts agree with its file size as the header promises.
#include "dfs/chunk/manifest.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dfs;
  const ByteView input(data, size);

  auto seg = decode_manifest_segment(input);
  if (!seg.ok()) return 0;

  FUZZ_CHECK(seg->entries.size() <= kMaxManifestEntriesPerSegment);
  FUZZ_CHECK(encode_manifest_segment(*seg) == Bytes(input.begin(), input.end()));
  if (seg->is_head) {
    FUZZ_CHECK(seg->chunk_size >= kMinChunkSize && seg->chunk_size <= kMaxChunkSize);
    // ceil(file_size / chunk_size), written so that it cannot overflow.
    const std::uint64_t needed = seg->file_size / seg->chunk_size + (seg->file_size % seg->chunk_size != 0 ? 1 : 0);
    FUZZ_CHECK(seg->total_chunks == needed);
  }
  return 0;
}
