// The addresses of the harness's peers. Every namespace a harness run
// creates gets one TUN device carrying one IPv4 address in 10.201.0.0/16
// and one IPv6 address in the ULA prefix fd0d:f500::/64. These exist only
// inside the run's namespaces: the host has no route to them, and nothing
// here ever sends to an address outside them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace dfs::netharness {

// At most this many peers (namespaces) per run: 10.201.0.1 .. 10.201.3.250.
constexpr int kMaxPeers = 1000;
constexpr int kIpv4PrefixLength = 16;
constexpr int kIpv6PrefixLength = 64;

// A peer put behind NAT (Namespaces::add_nat) sits on a private network
// of its own, 10.202.0.0/24 inside its namespaces only: the peer at .2,
// its router at .1. No other peer has a route there.
constexpr const char* kNatRouterIpv4 = "10.202.0.1";
constexpr const char* kNatPeerIpv4 = "10.202.0.2";

// Peer i's addresses, e.g. 10.201.0.1 and fd0d:f500::1 for peer 0.
std::string ipv4_of(int peer);
std::string ipv6_of(int peer);

// The peer an IP packet is addressed to, read from its header (IPv4 or
// IPv6), or nullopt if it is addressed elsewhere (multicast, a router
// solicitation, a malformed packet): such packets are dropped.
std::optional<int> destination_peer(const unsigned char* packet, std::size_t size);

}  // namespace dfs::netharness
