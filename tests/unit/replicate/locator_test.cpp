// Locator on the simulator: which of the R closest live peers hold each
// chunk (`dfs where`, `dfs check`), checked against the global node list.
#include <gtest/gtest.h>

#include <algorithm>

#include "replication_cluster.hpp"

namespace dfs::replicate {
namespace {

using sim::ReplicationCluster;
using sim::ReplicationClusterConfig;
using std::chrono::seconds;

constexpr std::size_t kR = 3;

ReplicationClusterConfig locate_config() {
  ReplicationClusterConfig c;
  c.cluster.seed = sim::seed_offset() + 31;
  c.replication.replicas = kR;
  c.replication.transfer_timeout = seconds(2);  // the sim client times out after 1 s
  return c;
}

class LocatorTest : public ::testing::Test {
 protected:
  LocatorTest() : net(locate_config()) {}

  // Node indices of `peers`, sorted.
  std::vector<std::size_t> indices(const std::vector<dht::Contact>& peers) {
    std::vector<std::size_t> out;
    for (const auto& p : peers) {
      for (std::size_t i = 0; i < net.size(); ++i) {
        if (net.contact(i).id == p.id) out.push_back(i);
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  // Who holds the chunk as a location says: its holders, and `self` if it does.
  std::vector<std::size_t> holding(const ChunkLocation& l, std::size_t self) {
    std::vector<std::size_t> out = indices(l.holders);
    if (l.self_holds) out.push_back(self);
    std::sort(out.begin(), out.end());
    return out;
  }

  ReplicationCluster net;
};

TEST_F(LocatorTest, EveryChunkIsFoundOnItsRClosestPeersInTheOrderAsked) {
  ASSERT_TRUE(net.grow(12));
  std::vector<ChunkId> ids;
  for (int i = 0; i < 40; ++i) {  // more than one window of chunks in flight
    ids.push_back(net.add_chunk(0));
    auto report = net.replicate(0, ids.back());
    ASSERT_TRUE(report && report->ok() && !(*report)->under_replicated());
  }
  const std::size_t asker = 5;
  auto found = net.locate(asker, ids);
  ASSERT_TRUE(found);
  ASSERT_EQ(found->size(), ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const ChunkLocation& l = (*found)[i];
    EXPECT_EQ(l.id, ids[i]);
    EXPECT_EQ(l.copies(), kR);
    EXPECT_EQ(holding(l, asker), net.closest(ids[i], kR, true));
    EXPECT_TRUE(l.lacking.empty() && l.unreachable.empty());
  }
}

TEST_F(LocatorTest, APeerThatLostTheChunkLacksItAndADeadOneIsNotAmongTheRClosestLive) {
  ASSERT_TRUE(net.grow(8));
  const ChunkId id = net.add_chunk(0);
  auto report = net.replicate(0, id);
  ASSERT_TRUE(report && report->ok());
  std::vector<std::size_t> replicas = net.closest(id, kR, true);
  std::size_t asker = 0;
  while (std::find(replicas.begin(), replicas.end(), asker) != replicas.end()) ++asker;

  ASSERT_TRUE(net.store(replicas[0]).remove(id).ok());  // lost its copy
  net.kill(replicas[1]);                                // died
  auto found = net.locate(asker, {id});
  ASSERT_TRUE(found && found->size() == 1);
  const ChunkLocation& l = found->front();
  // The dead peer either still sat in the asker's lookups (unreachable) or
  // was already replaced by the next closest live peer, which lacks it.
  EXPECT_EQ(indices(l.holders), std::vector<std::size_t>{replicas[2]});
  EXPECT_EQ(l.copies(), 1u);
  const auto lacking = indices(l.lacking);
  EXPECT_NE(std::find(lacking.begin(), lacking.end(), replicas[0]), lacking.end());
  EXPECT_EQ(l.lacking.size() + l.unreachable.size() + l.holders.size(), kR);
}

TEST_F(LocatorTest, EachPeerIsAskedAboutAllItsChunksInOneBatchNotOneRequestPerChunk) {
  ASSERT_TRUE(net.grow(12));
  std::vector<ChunkId> ids;
  for (int i = 0; i < 60; ++i) {
    ids.push_back(net.add_chunk(0));
    auto report = net.replicate(0, ids.back());
    ASSERT_TRUE(report && report->ok());
  }
  const std::size_t asker = 5;
  net.chunks().reset_stats();
  auto found = net.locate(asker, ids);
  ASSERT_TRUE(found && found->size() == ids.size());
  for (const ChunkLocation& l : *found) EXPECT_EQ(l.copies(), kR);
  const auto& sent = net.chunks().sent_by(net.contact(asker).address);
  // 60 chunks on 3 of 11 other peers each: 180 requests one by one, at most
  // one per peer in batches (repair rounds in the meantime may add a few).
  EXPECT_LE(sent.has_requests, net.size() + 2) << "asked about " << sent.has_ids << " IDs";
  EXPECT_GT(sent.max_has_batch, 1u);
}

TEST_F(LocatorTest, MoreChunksThanOneWaveAreAllLocatedInTheOrderAsked) {
  ASSERT_TRUE(net.grow(6));
  std::vector<ChunkId> ids;
  for (int i = 0; i < 1100; ++i) {  // a wave is 1024
    ids.push_back(net.add_chunk(0, 64));
    auto report = net.replicate(0, ids.back());
    ASSERT_TRUE(report && report->ok());
  }
  auto found = net.locate(2, ids);
  ASSERT_TRUE(found && found->size() == ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    ASSERT_EQ((*found)[i].id, ids[i]);
    ASSERT_EQ((*found)[i].copies(), kR) << i;
  }
}

TEST_F(LocatorTest, AnEmptyListIsLocatedAtOnce) {
  ASSERT_TRUE(net.grow(2));
  auto found = net.locate(0, {});
  ASSERT_TRUE(found);
  EXPECT_TRUE(found->empty());
}

}  // namespace
}  // namespace dfs::replicate
