// Fetches across long links, on the simulator: the hedge counts from the
// send of a GET (not from its queueing), and a network larger than k
// settles its lookups on the peers placement and fetch use.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "replication_cluster.hpp"

namespace dfs::replicate {
namespace {

using sim::ReplicationCluster;
using sim::ReplicationClusterConfig;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::size_t kNodes = 40;
constexpr std::size_t kR = 3;

ReplicationClusterConfig config(std::size_t parallel_transfers) {
  ReplicationClusterConfig c;
  c.cluster.seed = sim::seed_offset() + 31;
  c.replication.replicas = kR;
  c.replication.parallel_transfers = parallel_transfers;
  c.replication.transfer_timeout = seconds(2);
  c.replication.fetch_timeout = seconds(30);
  // Longer than any round trip of the sim (two latencies of at most 50 ms):
  // a GET that was sent is always answered before its hedge is due.
  c.replication.fetch_hedge_delay = milliseconds(200);
  return c;
}

// Every link, DHT and chunk RPCs alike, `latency` long each way; the
// default transfer cap.
constexpr milliseconds latency(40);
ReplicationClusterConfig fixed_latency(std::uint64_t seed) {
  ReplicationClusterConfig c;
  c.cluster.seed = sim::seed_offset() + seed;
  c.replication.replicas = kR;
  c.cluster.network.min_latency = c.cluster.network.max_latency = latency;
  c.chunks.min_latency = c.chunks.max_latency = latency;
  return c;
}

// `n` chunks placed on their R closest peers, and a reader holding none.
struct Placed {
  std::vector<ChunkId> ids;
  std::size_t reader = 0;
};

// `n` chunks written at node 0 and placed on their R closest; the reader
// is node 1, which may hold some of them (fetch() never asks itself).
Placed place_from_node_0(ReplicationCluster& net, std::size_t n) {
  Placed p;
  p.reader = 1;
  for (std::size_t i = 0; i < n; ++i) {
    const ChunkId id = net.add_chunk(0);
    auto report = net.replicate(0, id);
    EXPECT_TRUE(report && report->ok());
    p.ids.push_back(id);
  }
  return p;
}

Placed place(ReplicationCluster& net, std::size_t n) {
  Placed p = place_from_node_0(net, n);
  for (p.reader = 1;; ++p.reader) {
    const bool holds = std::any_of(p.ids.begin(), p.ids.end(), [&](const ChunkId& id) {
      const auto h = net.holders(id, false);
      return std::find(h.begin(), h.end(), p.reader) != h.end();
    });
    if (!holds) return p;
  }
}

// Fetches every chunk at once from `reader`; how many succeeded.
std::size_t fetch_all(ReplicationCluster& net, const Placed& p) {
  std::size_t ok = 0;
  std::size_t answered = 0;
  for (const ChunkId& id : p.ids) {
    net.replicator(p.reader).fetch(id, [&](Result<Bytes> r) {
      ++answered;
      if (r.ok() && ChunkId::of(*r) == id) ++ok;
    });
  }
  EXPECT_TRUE(net.run_until([&] { return answered == p.ids.size(); }, net.loop().now() + seconds(60)));
  return ok;
}

TEST(WanFetchTest, GetsWaitingInADeepTransferQueueAreNotHedgedBeforeTheyAreSent) {
  // One transfer at a time: the last of 12 GETs waits ~12 round trips in
  // the queue, far past the hedge delay, yet each is answered within its
  // delay once sent, so none needs a second GET.
  ReplicationCluster net(config(1));
  ASSERT_TRUE(net.grow(kNodes));
  const Placed p = place(net, 12);
  net.chunks().reset_stats();
  EXPECT_EQ(fetch_all(net, p), p.ids.size());
  EXPECT_EQ(net.chunks().sent_by(net.contact(p.reader).address).gets, p.ids.size());
}

TEST(WanFetchTest, InANetworkLargerThanKAFetchsLookupSettlesOnTheClosestPeersItNeeds) {
  ReplicationCluster net(config(8));
  ASSERT_TRUE(net.grow(kNodes));
  const Placed p = place(net, 1);
  const dht::Dht& dht = net.cluster().dht(p.reader);
  ASSERT_GE(dht.table().size(), dht.config().k);
  const std::uint64_t before = dht.lookup_totals().messages;
  EXPECT_EQ(fetch_all(net, p), 1u);
  // A strict lookup waits for all k closest to answer: at least k RPCs.
  EXPECT_LT(dht.lookup_totals().messages - before, dht.config().k);
}

// The first chunks of a get are fetched all at once. In a network smaller
// than k, one lookup shows it small and serves them all; before, each ran
// its own strict lookup, asking every peer, in parallel.
TEST(WanFetchTest, FetchesStartedTogetherInASmallNetworkShareOneLookup) {
  ReplicationCluster net(config(8));
  ASSERT_TRUE(net.grow(12));
  // 16 chunks: every peer holds some, and fetch() never asks itself.
  const Placed p = place_from_node_0(net, 16);
  const dht::Dht& dht = net.cluster().dht(p.reader);
  ASSERT_LT(dht.table().size(), dht.config().k);
  net.run_for(net.config().small_network_ttl + seconds(1));  // no peer set left from the join
  const std::uint64_t before = dht.lookup_totals().lookups;
  EXPECT_EQ(fetch_all(net, p), p.ids.size());
  EXPECT_EQ(dht.lookup_totals().lookups - before, 1u);
}

// In a network smaller than k whose peer set has expired (a get started
// more than small_network_ttl after the last one), a fetch's lookup costs
// a round trip before any GET: the manifest of every such get paid it.
// Now the first GET leaves with the lookup, to a likely holder the
// routing table names, and the chunk arrives one round trip after the
// fetch began, not two; no GET is spent on a peer without the chunk.
TEST(WanFetchTest, InASmallNetworkTheFirstGetLeavesWithTheLookup) {
  ReplicationCluster net(fixed_latency(41));
  ASSERT_TRUE(net.grow(12));
  const Placed p = place(net, 4);
  ASSERT_LT(net.cluster().dht(p.reader).table().size(), net.cluster().dht(p.reader).config().k);
  net.run_for(net.config().small_network_ttl + seconds(1));  // no peer set left
  net.chunks().reset_stats();
  for (const ChunkId& id : p.ids) {
    const auto start = net.loop().now();
    auto fetched = net.fetch(p.reader, id);
    ASSERT_TRUE(fetched.has_value());
    ASSERT_TRUE(fetched->ok()) << fetched->error().to_string();
    EXPECT_LE(net.loop().now() - start, 2 * latency) << "one round trip: the GET did not wait for the lookup";
    net.run_for(net.config().small_network_ttl + seconds(1));
  }
  EXPECT_EQ(net.chunks().sent_by(net.contact(p.reader).address).gets, p.ids.size());
}

// A get across a long round trip keeps up to 64 fetches in flight
// (node::Node's widest window). With the default transfer cap they all
// leave at once and are answered one round trip later; with a cap of 32
// (the old default) half of them waited a round trip in the queue.
TEST(WanFetchTest, TheDefaultTransferCapLetsAGetsWidestWindowOutInOneRoundTrip) {
  ReplicationCluster net(fixed_latency(37));
  ASSERT_TRUE(net.grow(12));
  const Placed p = place_from_node_0(net, 64);
  // Under the TTL of the peer set, the fetches need no lookup.
  auto first = net.fetch(p.reader, p.ids[0]);
  ASSERT_TRUE(first && first->ok());
  const auto start = net.loop().now();
  EXPECT_EQ(fetch_all(net, p), p.ids.size());
  EXPECT_LE(net.loop().now() - start, 2 * latency);
}

// XOR distance makes one peer the closest to many more chunks than another.
// A get that asked the closest holder first sent all of those to it, and
// across a long round trip one TCP connection moves only its window per
// round trip; now each GET goes to the least busy of the chunk's holders.
TEST(WanFetchTest, FetchesSpreadOverTheHoldersRatherThanAllGoingToTheClosest) {
  ReplicationCluster net(config(64));
  ASSERT_TRUE(net.grow(12));
  Placed all = place_from_node_0(net, 48);
  // The chunks the reader lacks, by the peer closest to each.
  std::map<std::size_t, Placed> by_closest;
  for (const ChunkId& id : all.ids) {
    const auto h = net.holders(id, false);
    ASSERT_GE(h.size(), kR);  // node 0 keeps the copy it put, too
    if (std::find(h.begin(), h.end(), all.reader) != h.end()) continue;
    Placed& group = by_closest[net.closest(id, 1, true).at(0)];
    group.reader = all.reader;
    group.ids.push_back(id);
  }
  const auto largest = std::max_element(by_closest.begin(), by_closest.end(), [](const auto& a, const auto& b) {
    return a.second.ids.size() < b.second.ids.size();
  });
  ASSERT_NE(largest, by_closest.end());
  const Placed& p = largest->second;
  ASSERT_GE(p.ids.size(), 6u);
  net.chunks().reset_stats();
  EXPECT_EQ(fetch_all(net, p), p.ids.size());
  // All to the closest before; now at most half of them (a third, give or
  // take the other holders' shares of other chunks).
  EXPECT_LE(net.chunks().received_by(net.contact(largest->first).address).gets, p.ids.size() / 2);
  // And each was asked of one holder only: no GET was wasted on a peer
  // without the chunk.
  EXPECT_EQ(net.chunks().sent_by(net.contact(p.reader).address).gets, p.ids.size());
}

// A reader whose link is cut drops every contact that stops answering.
// Right after the cut heals, before its periodic ping of the lost
// contacts, a fetch finds nobody to ask: it pings them at once and
// succeeds. Before, it failed with "no replica to ask".
TEST(WanFetchTest, AFetchRightAfterACutHealsPingsTheLostContactsAndSucceeds) {
  ReplicationCluster net(config(4));
  ASSERT_TRUE(net.grow(8));
  const Placed p = place(net, 1);
  auto& network = net.cluster().network();
  for (std::size_t i = 0; i < net.size(); ++i) {
    if (i != p.reader) network.kill(net.contact(i).address);
  }
  const dht::Dht& reader = net.cluster().dht(p.reader);
  for (int attempt = 0; attempt < 10 && reader.table().size() > 0; ++attempt) {
    auto cut_off = net.fetch(p.reader, p.ids[0]);
    ASSERT_TRUE(cut_off.has_value());
    EXPECT_FALSE(cut_off->ok());
  }
  ASSERT_EQ(reader.table().size(), 0u) << "the reader still knows peers it could not reach";
  ASSERT_GT(reader.lost_contacts(), 0u);
  for (std::size_t i = 0; i < net.size(); ++i) network.revive(net.contact(i).address);
  auto healed = net.fetch(p.reader, p.ids[0]);
  ASSERT_TRUE(healed.has_value());
  ASSERT_TRUE(healed->ok()) << healed->error().to_string();
  EXPECT_EQ(ChunkId::of(**healed), p.ids[0]);
}

}  // namespace
}  // namespace dfs::replicate
