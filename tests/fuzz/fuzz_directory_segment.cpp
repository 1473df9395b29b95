// Fuzzes decode_directory_segment on raw plaintext, i.e. what a holder of
// a directory ID gets after a segment authenticates. Anyone can seal a
// snapshot with their own key and hand out its ID, so the decoder must be
// safe on any bytes, and must never yield a name that leads a reader
// extracting the tree outside it.
//
// Properties: no out-of-bounds reads or huge allocations from claimed
// counts or lengths; every name passes check_entry_name and the names are
// strictly increasing; a packed file lies wholly inside a pack and is not
// empty, and has no File ID besides (an inline one lies in its head's
// inline pack); the encoding is canonical,
// encode(decode(x)) == x.
#include "dfs/chunk/directory.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dfs;
  const ByteView input(data, size);

  auto seg = decode_directory_segment(input);
  if (!seg.ok()) return 0;

  for (std::size_t i = 0; i < seg->entries.size(); ++i) {
    FUZZ_CHECK(check_entry_name(seg->entries[i].name).ok());
    FUZZ_CHECK(i == 0 || seg->entries[i - 1].name < seg->entries[i].name);
    if (const auto& packed = seg->entries[i].packed) {
      FUZZ_CHECK(seg->entries[i].type == EntryType::file && !seg->entries[i].id);
      FUZZ_CHECK(seg->entries[i].size >= 1 && packed->offset + seg->entries[i].size <= kMaxPackBytes);
      // An inline file lies in its head's inline pack, of 1 to kMaxPackBytes bytes.
      if (packed->is_inline()) {
        FUZZ_CHECK(seg->is_head && packed->offset + seg->entries[i].size <= packed->inline_bytes->size());
        FUZZ_CHECK(!packed->inline_bytes->empty() && packed->inline_bytes->size() <= kMaxPackBytes);
      }
    }
  }
  if (seg->is_head) FUZZ_CHECK(seg->total_entries <= kMaxDirectoryEntries);
  FUZZ_CHECK(encode_directory_segment(*seg) == Bytes(input.begin(), input.end()));
  return 0;
}
