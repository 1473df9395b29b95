// Fuzzes from_base32, the decoder under every File ID a user pastes.
//
// Properties: the decoder never reads out of bounds; what it accepts is
// canonical, so re-encoding gives the input back (lowercased); and any byte
// string survives to_base32 then from_base32 unchanged.
#include "dfs/util/encoding.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dfs;
  const std::string_view text = fuzz::as_text(data, size);

  auto decoded = from_base32(text);
  if (decoded.ok()) {
    FUZZ_CHECK(decoded->size() == size * 5 / 8);
    FUZZ_CHECK(to_base32(*decoded) == fuzz::ascii_lower(text));
  } else {
    FUZZ_CHECK(decoded.error().code == Errc::invalid_argument);
  }

  // The same bytes read as binary data: encoding must be lossless.
  auto back = from_base32(to_base32(ByteView(data, size)));
  FUZZ_CHECK(back.ok());
  FUZZ_CHECK(Bytes(data, data + size) == *back);
  return 0;
}
