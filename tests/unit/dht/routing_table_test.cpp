#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "dfs/dht/routing_table.hpp"

namespace dfs::dht {
namespace {

using std::chrono::seconds;

constexpr std::size_t kK = 4;

class RoutingTableTest : public ::testing::Test {
 protected:
  // A contact in bucket `index` of self's table.
  Contact in_bucket(std::size_t index) {
    const NodeId id = random_id_in_bucket(self, index, rng);
    return Contact{id, "peer-" + id.short_hex()};
  }
  // Fills bucket `index` with k contacts seen at times 0..k-1, oldest first.
  std::vector<Contact> fill_bucket(std::size_t index) {
    std::vector<Contact> members;
    for (std::size_t i = 0; i < kK; ++i) {
      members.push_back(in_bucket(index));
      table.observe(members.back(), at(static_cast<int>(i)));
    }
    return members;
  }
  std::vector<NodeId> ids_of(std::size_t index) const {
    std::vector<NodeId> ids;
    for (const auto& e : table.bucket(index).entries) ids.push_back(e.contact.id);
    return ids;
  }
  TimePoint at(int s) const { return TimePoint{} + std::chrono::hours(1) + seconds(s); }

  std::mt19937_64 rng{1};
  NodeId self = NodeId::random(rng);
  RoutingTable table{self, kK, 2};
};

TEST_F(RoutingTableTest, AContactGoesToTheBucketOfItsDistance) {
  for (std::size_t index : {0u, 3u, 200u, 255u}) {
    const Contact c = in_bucket(index);
    EXPECT_EQ(table.observe(c, at(0)).outcome, RoutingTable::Outcome::added);
    EXPECT_EQ(ids_of(index), std::vector<NodeId>{c.id});
  }
  EXPECT_EQ(table.size(), 4u);
}

TEST_F(RoutingTableTest, NeverStoresItsOwnerOrAnIdlessContact) {
  EXPECT_EQ(table.observe(Contact{self, "me:1"}, at(0)).outcome, RoutingTable::Outcome::ignored);
  EXPECT_EQ(table.observe(Contact{NodeId{}, "seed:1"}, at(0)).outcome, RoutingTable::Outcome::ignored);
  EXPECT_EQ(table.size(), 0u);
  EXPECT_TRUE(table.closest(self, 10).empty());
}

TEST_F(RoutingTableTest, KeepsLeastRecentlySeenFirst) {
  const Contact a = in_bucket(255), b = in_bucket(255), c = in_bucket(255);
  table.observe(a, at(0));
  table.observe(b, at(1));
  table.observe(c, at(2));
  EXPECT_EQ(ids_of(255), (std::vector<NodeId>{a.id, b.id, c.id}));
  EXPECT_EQ(table.observe(a, at(3)).outcome, RoutingTable::Outcome::refreshed);
  EXPECT_EQ(ids_of(255), (std::vector<NodeId>{b.id, c.id, a.id}));
}

TEST_F(RoutingTableTest, AFullBucketAsksToPingItsLeastRecentlySeenMember) {
  const std::vector<Contact> members = fill_bucket(255);
  const Contact newcomer = in_bucket(255);
  auto result = table.observe(newcomer, at(10));
  EXPECT_EQ(result.outcome, RoutingTable::Outcome::pending);
  ASSERT_TRUE(result.ping.has_value());
  EXPECT_EQ(result.ping->id, members.front().id);
  EXPECT_FALSE(table.contains(newcomer.id));
  // One ping per bucket at a time.
  EXPECT_FALSE(table.observe(in_bucket(255), at(11)).ping.has_value());
}

TEST_F(RoutingTableTest, PingBeforeEvictKeepsALiveOldContact) {
  const std::vector<Contact> members = fill_bucket(255);
  const Contact newcomer = in_bucket(255);
  auto result = table.observe(newcomer, at(10));
  // The ping answered: the old contact is seen again and stays.
  table.observe(*result.ping, at(11));
  table.ping_done(result.ping->id, true);
  EXPECT_TRUE(table.contains(members.front().id));
  EXPECT_FALSE(table.contains(newcomer.id));
  EXPECT_EQ(ids_of(255).back(), members.front().id);
  EXPECT_EQ(table.bucket(255).replacements.size(), 1u);
}

TEST_F(RoutingTableTest, PingBeforeEvictReplacesADeadOldContact) {
  const std::vector<Contact> members = fill_bucket(255);
  const Contact newcomer = in_bucket(255);
  auto result = table.observe(newcomer, at(10));
  table.ping_done(result.ping->id, false);
  EXPECT_FALSE(table.contains(members.front().id));
  EXPECT_TRUE(table.contains(newcomer.id));
  EXPECT_EQ(table.size(), kK);
  EXPECT_TRUE(table.bucket(255).replacements.empty());
  // The bucket may ping again for the next newcomer.
  EXPECT_TRUE(table.observe(in_bucket(255), at(12)).ping.has_value());
}

TEST_F(RoutingTableTest, TheReplacementCacheKeepsTheMostRecentCandidates) {
  for (std::size_t i = 0; i < kK; ++i) table.observe(in_bucket(255), at(0));
  const Contact first = in_bucket(255), second = in_bucket(255), third = in_bucket(255);
  table.observe(first, at(1));
  table.observe(second, at(2));
  table.observe(third, at(3));
  const auto& cache = table.bucket(255).replacements;
  ASSERT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache[0].contact.id, second.id);
  EXPECT_EQ(cache[1].contact.id, third.id);
}

TEST_F(RoutingTableTest, RepeatedFailuresDropAContact) {
  const Contact c = in_bucket(100);
  table.observe(c, at(0));
  EXPECT_FALSE(table.record_failure(c.id, 3));
  EXPECT_FALSE(table.record_failure(c.id, 3));
  EXPECT_TRUE(table.record_failure(c.id, 3));
  EXPECT_FALSE(table.contains(c.id));
  EXPECT_EQ(table.size(), 0u);
}

TEST_F(RoutingTableTest, ASuccessClearsEarlierFailures) {
  const Contact c = in_bucket(100);
  table.observe(c, at(0));
  table.record_failure(c.id, 2);
  table.observe(c, at(1));
  EXPECT_FALSE(table.record_failure(c.id, 2));
  EXPECT_TRUE(table.contains(c.id));
}

TEST_F(RoutingTableTest, ClosestReturnsContactsInXorOrderAcrossBuckets) {
  RoutingTable big{self, 20, 2};
  std::vector<NodeId> all;
  for (int i = 0; i < 300; ++i) {
    const NodeId id = NodeId::random(rng);
    if (big.observe(Contact{id, "x"}, at(0)).outcome == RoutingTable::Outcome::added) all.push_back(id);
  }
  for (int t = 0; t < 50; ++t) {
    const NodeId target = t == 0 ? self : NodeId::random(rng);
    std::vector<NodeId> expected = all;
    std::sort(expected.begin(), expected.end(), [&](const NodeId& a, const NodeId& b) { return closer(target, a, b); });
    expected.resize(15);
    std::vector<NodeId> got;
    for (const auto& c : big.closest(target, 15)) got.push_back(c.id);
    EXPECT_EQ(got, expected);
  }
}

TEST_F(RoutingTableTest, StaleBucketsStartAtTheLowestNonEmptyBucket) {
  table.observe(in_bucket(250), at(0));
  table.observe(in_bucket(255), at(0));
  auto stale = table.stale_buckets(at(0), std::chrono::hours(1));
  ASSERT_FALSE(stale.empty());
  EXPECT_EQ(stale.front(), 250u);
  EXPECT_EQ(stale.size(), 6u);
  table.touch(random_id_in_bucket(self, 252, rng), at(10));
  stale = table.stale_buckets(at(20), std::chrono::hours(1));
  EXPECT_EQ(std::count(stale.begin(), stale.end(), 252u), 0);
  stale = table.stale_buckets(at(10) + std::chrono::hours(1), std::chrono::hours(1));
  EXPECT_EQ(std::count(stale.begin(), stale.end(), 252u), 1);
}

}  // namespace
}  // namespace dfs::dht

namespace dfs::dht {
namespace {

// One subnet (here 127.0.0.0/24; 127.0.1.0/24 stands for another) cannot
// fill a bucket with IDs of its making.
TEST(RoutingTableNetworkCap, ABucketTakesAtMostTheCapFromOneNetworkAndOthersStillEnter) {
  std::mt19937_64 rng{7};
  const NodeId self = NodeId::random(rng);
  RoutingTable table(self, /*k=*/8, 2, RoutingTable::NetworkCap{/*max_contacts=*/2, 24, 48});
  const auto contact = [&](const std::string& address) {
    return Contact{random_id_in_bucket(self, 255, rng), address};
  };
  EXPECT_EQ(table.observe(contact("127.0.0.5:4001"), TimePoint{}).outcome, RoutingTable::Outcome::added);
  EXPECT_EQ(table.observe(contact("127.0.0.6:4001"), TimePoint{}).outcome, RoutingTable::Outcome::added);
  const Contact third = contact("127.0.0.7:4001");
  EXPECT_EQ(table.observe(third, TimePoint{}).outcome, RoutingTable::Outcome::network_full);
  EXPECT_FALSE(table.contains(third.id));
  EXPECT_EQ(table.observe(contact("127.0.1.7:4001"), TimePoint{}).outcome, RoutingTable::Outcome::added);
  // Another bucket has a cap of its own.
  EXPECT_EQ(table.observe(Contact{random_id_in_bucket(self, 254, rng), "127.0.0.8:4001"}, TimePoint{}).outcome,
            RoutingTable::Outcome::added);
  EXPECT_EQ(table.size(), 4u);
}

TEST(RoutingTableNetworkCap, NetworksAreAddressPrefixes) {
  EXPECT_EQ(network_of("127.0.0.1:1", 24, 48), network_of("127.0.0.200:2", 24, 48));
  EXPECT_NE(network_of("127.0.0.1:1", 24, 48), network_of("127.0.1.1:1", 24, 48));
  EXPECT_NE(network_of("127.0.0.1:1", 32, 48), network_of("127.0.0.2:1", 32, 48));
  EXPECT_EQ(network_of("127.0.0.1:1", 20, 48), network_of("127.0.15.1:1", 20, 48));
  EXPECT_EQ(network_of("[::1]:4001", 48, 48), network_of("[::2]:4001", 24, 48));
  EXPECT_NE(network_of("[::1]:4001", 24, 128), network_of("[::2]:4001", 24, 128));
  EXPECT_NE(network_of("peer-a:1", 24, 48), network_of("peer-b:1", 24, 48));
}

}  // namespace
}  // namespace dfs::dht
