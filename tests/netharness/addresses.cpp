#include "addresses.hpp"

#include <cstdio>
#include <cstring>

namespace dfs::netharness {

namespace {

// The third and fourth bytes of peer i's IPv4 address: 250 peers per /24,
// so that no peer gets a .0 or a .255.
constexpr int kPerSubnet = 250;
constexpr unsigned char kIpv4Prefix[2] = {10, 201};
constexpr unsigned char kIpv6Prefix[8] = {0xfd, 0x0d, 0xf5, 0x00, 0, 0, 0, 0};

}  // namespace

std::string ipv4_of(int peer) {
  return "10.201." + std::to_string(peer / kPerSubnet) + "." + std::to_string(peer % kPerSubnet + 1);
}

std::string ipv6_of(int peer) {
  char hex[8];
  std::snprintf(hex, sizeof hex, "%x", peer + 1);
  return std::string("fd0d:f500::") + hex;
}

std::optional<int> destination_peer(const unsigned char* packet, std::size_t size) {
  if (size < 1) return std::nullopt;
  const int version = packet[0] >> 4;
  if (version == 4 && size >= 20) {
    const unsigned char* dst = packet + 16;
    if (dst[0] != kIpv4Prefix[0] || dst[1] != kIpv4Prefix[1] || dst[3] == 0 || dst[3] > kPerSubnet) {
      return std::nullopt;
    }
    const int peer = dst[2] * kPerSubnet + dst[3] - 1;
    return peer < kMaxPeers ? std::optional<int>(peer) : std::nullopt;
  }
  if (version == 6 && size >= 40) {
    const unsigned char* dst = packet + 24;
    if (std::memcmp(dst, kIpv6Prefix, sizeof kIpv6Prefix) != 0) return std::nullopt;
    for (int i = 8; i < 14; ++i) {
      if (dst[i] != 0) return std::nullopt;
    }
    const int peer = (dst[14] << 8 | dst[15]) - 1;
    return peer >= 0 && peer < kMaxPeers ? std::optional<int>(peer) : std::nullopt;
  }
  return std::nullopt;
}

}  // namespace dfs::netharness
