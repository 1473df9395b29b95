// Fuzzes parse_host_port, which reads the listen address every peer sends
// in its messages (and --listen, --bootstrap, --advertise).
//
// Properties: no out-of-bounds reads; an accepted address is bounded, has
// a host without brackets, and formats back to an address that parses to
// the same host and port.
#include "dfs/net/address.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dfs;
  const std::string text(fuzz::as_text(data, size));
  auto parsed = net::parse_host_port(text);
  if (!parsed.ok()) return 0;
  FUZZ_CHECK(size <= net::kMaxAddressLength);
  FUZZ_CHECK(!parsed->host.empty());
  FUZZ_CHECK(parsed->host.find('[') == std::string::npos && parsed->host.find(']') == std::string::npos);
  auto again = net::parse_host_port(net::format_host_port(parsed->host, parsed->port));
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->host == parsed->host && again->port == parsed->port);
  return 0;
}
