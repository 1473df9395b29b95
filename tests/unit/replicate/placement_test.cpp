// Placement and Neighbourhood against brute force over random networks.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "dfs/replicate/placement.hpp"

namespace dfs::replicate {
namespace {

using dht::Contact;
using dht::NodeId;

// Appended, not "n" + std::to_string(i): GCC 12 at -O3 (a release build)
// raises a false -Wrestrict inside libstdc++ for operator+(const char*, string&&).
Contact node(std::mt19937_64& rng, int i) {
  std::string name = "n";
  name += std::to_string(i);
  return Contact{NodeId::random(rng), std::move(name)};
}

std::vector<Contact> network(std::mt19937_64& rng, std::size_t n) {
  std::vector<Contact> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(node(rng, static_cast<int>(i)));
  return out;
}

// The `n` closest of `all` to `key`, closest first (brute force).
std::vector<Contact> truth(const NodeId& key, std::vector<Contact> all, std::size_t n) {
  std::sort(all.begin(), all.end(), [&](const Contact& a, const Contact& b) { return dht::closer(key, a.id, b.id); });
  all.resize(std::min(n, all.size()));
  return all;
}

// A key sharing exactly `bits` leading bits with `base` (bits < 256).
NodeId key_sharing(const NodeId& base, std::size_t bits, std::mt19937_64& rng) {
  NodeId key = NodeId::random(rng);
  for (std::size_t b = 0; b < bits; ++b) {
    const std::uint8_t mask = static_cast<std::uint8_t>(0x80 >> (b % 8));
    key.bytes[b / 8] = static_cast<std::uint8_t>((key.bytes[b / 8] & ~mask) | (base.bytes[b / 8] & mask));
  }
  const std::uint8_t flip = static_cast<std::uint8_t>(0x80 >> (bits % 8));
  key.bytes[bits / 8] = static_cast<std::uint8_t>((key.bytes[bits / 8] & ~flip) | (~base.bytes[bits / 8] & flip));
  return key;
}

TEST(Placement, PicksTheRClosestAndCountsSelfWhenItIsOneOfThem) {
  std::mt19937_64 rng(1);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<Contact> all = network(rng, 30);
    const Contact self = all.back();
    all.pop_back();
    const NodeId key = NodeId::random(rng);
    std::vector<Contact> with_self = all;
    with_self.push_back(self);
    const std::vector<Contact> expected = truth(key, with_self, 3);

    const Placement p = place(self, key, all, 3);
    const bool self_expected = std::count(expected.begin(), expected.end(), self) == 1;
    EXPECT_EQ(p.self_is_replica, self_expected);
    std::vector<Contact> got = p.peers;
    if (p.self_is_replica) got.push_back(self);
    EXPECT_EQ(truth(key, got, 3), expected);
    EXPECT_EQ(p.peers.size() + p.spares.size(), all.size());
  }
}

TEST(Placement, WithFewerPeersThanReplicasPlacesOnEveryPeerAndSelf) {
  std::mt19937_64 rng(2);
  const Contact self = node(rng, 0);
  const std::vector<Contact> found{node(rng, 1)};
  const Placement p = place(self, NodeId::random(rng), found, 3);
  EXPECT_TRUE(p.self_is_replica);
  EXPECT_EQ(p.peers, found);
  EXPECT_TRUE(p.spares.empty());
}

TEST(Placement, IgnoresSelfDuplicatesAndContactsWithoutAnId) {
  std::mt19937_64 rng(3);
  const Contact self = node(rng, 0);
  const Contact a = node(rng, 1);
  const std::vector<Contact> found{a, a, self, Contact{NodeId{}, "seed:1"}};
  const Placement p = place(self, NodeId::random(rng), found, 3);
  EXPECT_EQ(p.peers, std::vector<Contact>{a});
}

TEST(Placement, ASelfOthersCannotDialIsNeverAReplicaSoRPeersGetCopies) {
  std::mt19937_64 rng(4);
  const std::vector<Contact> found = network(rng, 5);
  Contact self = node(rng, 9);
  self.address.clear();
  for (int trial = 0; trial < 50; ++trial) {
    const NodeId key = NodeId::random(rng);
    const Placement p = place(self, key, found, 3);
    EXPECT_FALSE(p.self_is_replica);
    EXPECT_EQ(p.peers, truth(key, found, 3));
    const Neighbourhood whole(self, key, found, 20, found.size());
    EXPECT_FALSE(whole.place(key, 3).self_is_replica);
  }
}

// The property the repair round relies on: whenever a neighbourhood says it
// covers a key, its placement is the true one.
TEST(Neighbourhood, PlacementOfEveryCoveredKeyMatchesBruteForce) {
  std::mt19937_64 rng(4);
  constexpr std::size_t kK = 20;
  std::size_t covered = 0;
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<Contact> all = network(rng, 400);
    const Contact self = all[0];
    std::vector<Contact> others(all.begin() + 1, all.end());
    const NodeId target = NodeId::random(rng);
    const Neighbourhood n(self, target, truth(target, others, kK), kK, others.size());
    ASSERT_GT(n.prefix_bits(), 0u);
    for (int k = 0; k < 40; ++k) {
      // Keys around the boundary of the neighbourhood, inside and out.
      const std::size_t bits = n.prefix_bits() + static_cast<std::size_t>(k % 6) - 2;
      const NodeId key = key_sharing(target, std::min<std::size_t>(bits, 255), rng);
      if (!n.covers(key, 3)) continue;
      ++covered;
      const Placement got = n.place(key, 3);
      std::vector<Contact> holders = got.peers;
      if (got.self_is_replica) holders.push_back(self);
      EXPECT_EQ(truth(key, holders, 3), truth(key, all, 3));
    }
  }
  EXPECT_GT(covered, 500u);  // the test exercised the cover, not only refusals
}

TEST(Neighbourhood, DoesNotCoverKeysOutsideItsSubtree) {
  std::mt19937_64 rng(5);
  std::vector<Contact> all = network(rng, 400);
  const NodeId target = NodeId::random(rng);
  const Neighbourhood n(all[0], target, truth(target, {all.begin() + 1, all.end()}, 20), 20, all.size() - 1);
  EXPECT_FALSE(n.covers(key_sharing(target, n.prefix_bits() - 1, rng), 3));
  EXPECT_TRUE(n.covers(target, 3));
}

// Right after peers die, a lookup in a large network often returns a few
// fewer than k (the dead among the k closest it met): that must not pass
// for a small network, whose every node the result would then list.
TEST(Neighbourhood, AShortResultInALargeNetworkCoversOnlyItsOwnSubtree) {
  std::mt19937_64 rng(7);
  std::vector<Contact> all = network(rng, 400);
  const NodeId target = NodeId::random(rng);
  std::vector<Contact> found = truth(target, {all.begin() + 1, all.end()}, 20);
  found.resize(17);
  const Neighbourhood n(all[0], target, found, 20, 200);
  EXPECT_FALSE(n.whole_network());
  EXPECT_GT(n.prefix_bits(), 0u);
  EXPECT_FALSE(n.covers(key_sharing(target, n.prefix_bits() - 1, rng), 3));
}

TEST(Neighbourhood, FromALookupThatFoundEveryKnownNodeOfASmallNetworkCoversEveryKey) {
  std::mt19937_64 rng(6);
  std::vector<Contact> all = network(rng, 5);
  const Neighbourhood n(all[0], NodeId::random(rng), {all.begin() + 1, all.end()}, 20, 4);
  EXPECT_TRUE(n.whole_network());
  const NodeId key = NodeId::random(rng);
  ASSERT_TRUE(n.covers(key, 3));
  const Placement got = n.place(key, 3);
  std::vector<Contact> holders = got.peers;
  if (got.self_is_replica) holders.push_back(all[0]);
  EXPECT_EQ(truth(key, holders, 3), truth(key, all, 3));
}

}  // namespace
}  // namespace dfs::replicate
