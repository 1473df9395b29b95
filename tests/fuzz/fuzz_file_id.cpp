// Fuzzes FileId::parse: IDs arrive from users, xattrs and
// MOUNTPOINT/.dfs/ids/<ID> lookups, so any string must be rejected cleanly.
//
// Properties: no out-of-bounds reads; an accepted ID has one of the two
// lengths; a current-format ID prints back as the input with its base32
// lowercased (prefix included); a first-format ID prints
// in the current form; either way, parsing the print yields the same
// manifest ID, key and kind.
#include "dfs/chunk/file_id.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dfs;
  const std::string_view text = fuzz::as_text(data, size);

  auto id = FileId::parse(text);
  if (!id.ok()) {
    FUZZ_CHECK(!id.error().message.empty());
    return 0;
  }
  FUZZ_CHECK(size == kFileIdLength || size == kFileIdLengthV1);
  const std::string printed = id->to_string();
  FUZZ_CHECK(printed.size() == kFileIdLength);
  if (size == kFileIdLength) {
    FUZZ_CHECK(printed == fuzz::ascii_lower(text));
  } else {
    FUZZ_CHECK(!id->is_directory());
  }
  auto again = FileId::parse(printed);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*again == *id);
  return 0;
}
