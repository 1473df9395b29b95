// Peer addresses as users write them and peers send them: "HOST:PORT",
// where HOST is an IPv4 address, a bracketed IPv6 address ("[::1]:4001",
// "[fd00::7]:4001") or a host name. One parser for --listen, --bootstrap,
// the config file and addresses received from peers.
#pragma once

#include <cstdint>
#include <string>

#include "dfs/util/result.hpp"

namespace dfs::net {

// Longer addresses (from a peer, say) are refused: a DNS name is at most
// 253 characters, plus brackets, a colon and a port.
constexpr std::size_t kMaxAddressLength = 262;
// The most addresses a peer advertises (one per family and a spare of
// each); what a peer sends beyond is ignored.
constexpr std::size_t kMaxAddressesPerPeer = 4;

struct HostPort {
  std::string host;  // brackets removed: "::1", "10.0.0.2", "example.org"
  std::uint16_t port = 0;
};

// Splits and checks "HOST:PORT". A bare IPv6 address ("::1:4001") is
// refused with a message asking for brackets: its last group would be
// read as the port.
Result<HostPort> parse_host_port(const std::string& address);

// "HOST:PORT" back, bracketing an IPv6 host.
std::string format_host_port(const std::string& host, std::uint16_t port);

}  // namespace dfs::net
