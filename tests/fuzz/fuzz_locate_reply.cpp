// Fuzzes what `dfs where`/`dfs check` read from the peer's control socket
// for a locate (src/control/service_proto.hpp, LocationReader): any number
// of control::Reply messages, each a 2-byte little-endian length and the
// message, read as LocatePage pages until a LocateReply ends them.
//
// Properties: no out-of-bounds reads; malformed messages and IDs are error
// values; the reader never holds more than its bound of chunks; nothing is
// taken after the end; an accepted location has valid chunk and peer IDs.
#include "../../src/control/service_proto.hpp"
#include "fuzz_common.hpp"

namespace {

constexpr std::size_t kBound = 64;  // small, so inputs reach the bound

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  dfs::control::LocationReader reader(kBound);
  bool ended = false;
  while (size >= 2) {
    const std::size_t length = std::min<std::size_t>(data[0] | (data[1] << 8), size - 2);
    dfs::control::Reply reply;
    const bool parsed = reply.ParseFromArray(data + 2, static_cast<int>(length));
    data += 2 + length;
    size -= 2 + length;
    if (!parsed) continue;
    if (reply.has_locate_page()) {
      dfs::Status taken = reader.page(reply.locate_page());
      if (ended) FUZZ_CHECK(!taken.ok());  // nothing after the end
    } else if (reply.has_locate()) {
      auto location = reader.finish(reply.locate());
      if (ended) {
        FUZZ_CHECK(!location.ok());
        continue;
      }
      ended = true;
      FUZZ_CHECK(location.ok());
      FUZZ_CHECK(location->chunks.size() <= kBound);
      for (const auto& c : location->chunks) {
        FUZZ_CHECK(c.id.hex().size() == 64);
        FUZZ_CHECK(c.copies() <= c.holders.size() + 1);
      }
    }
  }
  return 0;
}
