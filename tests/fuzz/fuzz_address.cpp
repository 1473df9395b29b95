// Fuzzes parse_host_port, which reads the listen address every peer sends
// in its messages (and --listen, --bootstrap, --advertise), and
// dht::network_of, which reads the same address to cap the contacts a
// routing bucket takes from one network.
//
// Properties: no out-of-bounds reads; an accepted address is bounded, has
// a host without brackets, and formats back to an address that parses to
// the same host and port.
#include "dfs/dht/routing_table.hpp"
#include "dfs/net/address.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dfs;
  const std::string text(fuzz::as_text(data, size));
  // Any bytes: a key, the same each time; with no prefix bits, one network
  // per address family.
  const std::string network = dht::network_of(text, 24, 48);
  FUZZ_CHECK(!network.empty() && network == dht::network_of(text, 24, 48));
  FUZZ_CHECK(dht::network_of(text, 32, 128).size() == network.size());
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
