#include "dfs/net/address.hpp"

#include <algorithm>
#include <charconv>

namespace dfs::net {

namespace {

Error bad(const std::string& address, const std::string& why) {
  return Error{Errc::invalid_argument, "address \"" + address.substr(0, 80) + "\" " + why};
}

bool host_name_character(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_';
}

}  // namespace

Result<HostPort> parse_host_port(const std::string& address) {
  if (address.size() > kMaxAddressLength) return bad(address, "is too long");
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) {
    return bad(address, "is not HOST:PORT (an IPv6 host in brackets: [::1]:4001)");
  }
  HostPort out;
  const std::string_view port_text = std::string_view(address).substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    return bad(address, "has no valid port (0-65535)");
  }
  out.port = static_cast<std::uint16_t>(port);
  std::string host = address.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return bad(address, "has an unclosed '['");
    host = host.substr(1, host.size() - 2);
    const bool v6_characters = std::all_of(host.begin(), host.end(), [](char c) {
      return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.' ||
             c == '%';
    });
    if (!v6_characters || host.find(':') == std::string::npos) {
      return bad(address, "has no IPv6 address inside its brackets");
    }
  } else if (host.find(':') != std::string::npos) {
    return bad(address, "is an IPv6 address without brackets: write [HOST]:PORT");
  } else if (!std::all_of(host.begin(), host.end(), host_name_character)) {
    return bad(address, "has a host that is neither an IP address nor a host name");
  }
  out.host = std::move(host);
  return out;
}

std::string format_host_port(const std::string& host, std::uint16_t port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace dfs::net
