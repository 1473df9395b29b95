// The harness's pure parts: which peer a packet is for, and the control
// commands (every malformed one refused, nothing half-applied).
#include <gtest/gtest.h>

#include <array>

#include "addresses.hpp"
#include "link_emulator.hpp"

namespace dfs::netharness {
namespace {

std::array<unsigned char, 40> ipv4_to(unsigned char c, unsigned char d) {
  std::array<unsigned char, 40> p{};
  p[0] = 0x45;
  p[16] = 10, p[17] = 201, p[18] = c, p[19] = d;
  return p;
}

TEST(HarnessAddresses, APacketToAPeersIpv4OrIpv6AddressGoesToThatPeer) {
  auto v4 = ipv4_to(0, 3);
  EXPECT_EQ(destination_peer(v4.data(), v4.size()), 2);
  v4 = ipv4_to(1, 1);
  EXPECT_EQ(destination_peer(v4.data(), v4.size()), 250);
  EXPECT_EQ(ipv4_of(250), "10.201.1.1");
  std::array<unsigned char, 40> v6{0x60};
  const unsigned char prefix[] = {0xfd, 0x0d, 0xf5, 0x00};
  std::copy(std::begin(prefix), std::end(prefix), v6.begin() + 24);
  v6[39] = 0x0c;
  EXPECT_EQ(destination_peer(v6.data(), v6.size()), 11);
  EXPECT_EQ(ipv6_of(11), "fd0d:f500::c");
}

TEST(HarnessAddresses, PacketsToAnyOtherAddressOrTooShortToTellAreForNoPeer) {
  auto v4 = ipv4_to(0, 0);
  EXPECT_EQ(destination_peer(v4.data(), v4.size()), std::nullopt);  // .0
  v4 = ipv4_to(0, 251);
  EXPECT_EQ(destination_peer(v4.data(), v4.size()), std::nullopt);
  v4 = ipv4_to(0, 3);
  v4[16] = 127;
  EXPECT_EQ(destination_peer(v4.data(), v4.size()), std::nullopt);
  v4 = ipv4_to(0, 3);
  EXPECT_EQ(destination_peer(v4.data(), 19), std::nullopt);
  std::array<unsigned char, 40> v6{0x60};
  v6[24] = 0xff, v6[25] = 0x02, v6[39] = 1;  // multicast
  EXPECT_EQ(destination_peer(v6.data(), v6.size()), std::nullopt);
  EXPECT_EQ(destination_peer(v6.data(), 0), std::nullopt);
}

TEST(HarnessControl, CommandsAreAnsweredOkAndMalformedOnesAreRefused) {
  LinkEmulator emulator({-1, -1, -1}, LinkParams{}, 1);
  EXPECT_EQ(emulator.command("link 0 * delay_ms=40 jitter_ms=2 loss=0.02 rate_mbit=100 queue_kb=512"), "ok");
  EXPECT_EQ(emulator.command("partition 0,2"), "ok");
  EXPECT_EQ(emulator.command("heal"), "ok");
  EXPECT_EQ(emulator.command("stats").rfind("ok forwarded_packets=0 ", 0), 0u);
  for (const char* bad : {"", "link", "link 0", "link 0 3 delay_ms=1", "link 0 1 loss=2", "link 0 1 loss=",
                          "link 0 1 delay_ms=-1", "link 0 1 color=3", "link -1 1", "partition 0,x", "partition 7",
                          "heal now", "reboot"}) {
    EXPECT_EQ(emulator.command(bad).rfind("error", 0), 0u) << bad;
  }
}

}  // namespace
}  // namespace dfs::netharness
