// A dual-stack peer among single-stack ones (issue 16): contacts carry
// every address a peer advertises and the dialer tries them in turn.
// Skipped where network namespaces cannot be made.
#include <gtest/gtest.h>

#include "../common/eventually.hpp"
#include "addresses.hpp"
#include "wan_network.hpp"

namespace dfs::testing {
namespace {

// Peer 0 listens on [::] and advertises its IPv4 address first, then its
// IPv6 one. Peer 1 has only IPv6 (its namespace loses its IPv4 address,
// so IPv4 is unreachable there) and peer 2 only IPv4. Each joins through
// the dual-stack peer at an address of its own family; the IPv6-only one
// then hears the dual-stack peer name IPv4 first and must dial the next
// address to verify it. Both keep it, listed with both addresses, and a
// file put at either single-stack peer (its chunks on itself and the
// dual-stack peer, the only one it can reach) is read bit-exact at the
// other, which it cannot reach, through the dual-stack peer.
TEST_F(WanNetwork, ADualStackPeerIsReachedByAnIpv6OnlyAndAnIpv4OnlyPeer) {
  constexpr int kDual = 0, kIpv6Only = 1, kIpv4Only = 2;
  const std::string port = ":" + std::to_string(kPort);
  const std::string dual_v4 = netharness::ipv4_of(kDual) + port;
  const std::string dual_v6 = "[" + netharness::ipv6_of(kDual) + "]" + port;
  WanOptions o;
  o.peers = 3;
  o.rtt_ms = 20;
  o.node_args = {"--replicas", "2"};
  o.addressing[kDual] = {"--listen", "[::]" + port, "--advertise", dual_v4 + "," + dual_v6};
  o.addressing[kIpv6Only] = {"--listen", "[" + netharness::ipv6_of(kIpv6Only) + "]" + port, "--bootstrap", dual_v6};
  o.addressing[kIpv4Only] = {"--listen", netharness::ipv4_of(kIpv4Only) + port, "--bootstrap", dual_v4};
  start_harness(o);
  if (IsSkipped() || HasFatalFailure()) return;
  const auto drop = [&](int peer, const std::string& address, int prefix) {
    auto r = ip_in(peer, {"addr", "del", address + "/" + std::to_string(prefix), "dev", "tun0"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  };
  drop(kIpv6Only, netharness::ipv4_of(kIpv6Only), netharness::kIpv4PrefixLength);
  drop(kIpv4Only, netharness::ipv6_of(kIpv4Only), netharness::kIpv6PrefixLength);
  if (HasFatalFailure()) return;
  start_peers();  // the dual-stack peer knows both
  if (HasFatalFailure()) return;

  const std::string dual_id = node_id(kDual);
  ASSERT_FALSE(dual_id.empty());
  for (int i : {kIpv6Only, kIpv4Only}) {
    EXPECT_TRUE(eventually([&] { return listed_address(i, dual_id) == dual_v4 + "," + dual_v6; },
                           std::chrono::seconds(60), std::chrono::milliseconds(200)))
        << "peer " << i << ": " << dfs_at(i, {"peers"}).out;
  }

  for (const auto& [writer, reader] : {std::pair{kIpv6Only, kIpv4Only}, std::pair{kIpv4Only, kIpv6Only}}) {
    const std::string content = random_content(3 << 20, static_cast<unsigned>(writer));
    const std::string id = put_at(writer, write_file("from" + std::to_string(writer), content));
    const std::string out = dir_ + "/read" + std::to_string(reader);
    auto got = dfs_at(reader, {"get", id, "-o", out});
    ASSERT_EQ(got.exit_code, 0) << "peer " << reader << ": " << got.err;
    EXPECT_TRUE(read_file(out) == content) << "peer " << reader;
  }
  // Still known at the end: a dial to its IPv4 address never dropped it
  // from the IPv6-only peer's table.
  EXPECT_EQ(listed_address(kIpv6Only, dual_id), dual_v4 + "," + dual_v6) << dfs_at(kIpv6Only, {"peers"}).out;
}

}  // namespace
}  // namespace dfs::testing
