// The repair loop on the simulator: healing after a replica dies, batched
// presence checks, and the per-round bounds.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "dfs/util/clock.hpp"
#include "replication_cluster.hpp"

namespace dfs::replicate {
namespace {

using sim::ReplicationCluster;
using sim::ReplicationClusterConfig;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::size_t kR = 3;
constexpr std::chrono::minutes kInterval{1};

ReplicationClusterConfig repair_config(std::uint64_t seed) {
  ReplicationClusterConfig c;
  c.cluster.seed = sim::seed_offset() + seed;
  c.replication.replicas = kR;
  c.replication.transfer_timeout = seconds(2);
  c.replication.repair_interval = kInterval;
  return c;
}

class RepairTest : public ::testing::Test {
 protected:
  explicit RepairTest(ReplicationClusterConfig config = repair_config(21)) : net(config) {}

  // Chunks written on random nodes (kept in `writers`) and replicated from there.
  std::vector<ChunkId> replicate_chunks(std::size_t n) {
    std::vector<ChunkId> ids;
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t writer = net.cluster().random_live_node();
      writers.push_back(writer);
      ids.push_back(net.add_chunk(writer));
      auto report = net.replicate(writer, ids.back());
      EXPECT_TRUE(report && report->ok() && !(*report)->under_replicated());
    }
    return ids;
  }

  bool all_placed(const std::vector<ChunkId>& ids) {
    return std::all_of(ids.begin(), ids.end(), [this](const ChunkId& id) { return net.fully_placed(id); });
  }

  ReplicatorStats total_stats() {
    ReplicatorStats sum;
    for (std::size_t i = 0; i < net.size(); ++i) {
      if (!net.alive(i)) continue;
      const ReplicatorStats s = net.replicator(i).stats();
      sum.chunks_checked += s.chunks_checked;
      sum.under_replicated += s.under_replicated;
      sum.copies_made += s.copies_made;
      sum.repair_rounds += s.repair_rounds;
    }
    return sum;
  }

  ReplicationCluster net;
  std::vector<std::size_t> writers;  // of replicate_chunks()' chunks, in order
};

TEST_F(RepairTest, AfterAReplicaIsKilledRepairRestoresRLiveReplicasOfEveryChunkWithinThreeIntervals) {
  ASSERT_TRUE(net.grow(40));
  const std::vector<ChunkId> ids = replicate_chunks(60);
  ASSERT_TRUE(all_placed(ids));

  // Kill the node holding the most chunks, and another replica besides.
  std::map<std::size_t, std::size_t> held;
  for (const ChunkId& id : ids) {
    for (std::size_t i : net.closest(id, kR, true)) ++held[i];
  }
  const auto busiest = std::max_element(held.begin(), held.end(),
                                        [](const auto& a, const auto& b) { return a.second < b.second; });
  net.kill(busiest->first);
  net.kill(net.closest(ids.front(), kR, true).front());
  ASSERT_FALSE(all_placed(ids));

  net.start_repair_all();
  const auto start = net.loop().now();
  ASSERT_TRUE(net.run_until([&] { return all_placed(ids); }, start + 3 * kInterval))
      << "not healed within three repair intervals";
  std::cout << "[ healed in " << std::chrono::duration_cast<seconds>(net.loop().now() - start).count()
            << " s of virtual time ]\n";
  const ReplicatorStats stats = total_stats();
  EXPECT_GT(stats.copies_made, 0u);
  EXPECT_GT(stats.under_replicated, 0u);
  EXPECT_GT(stats.chunks_checked, 0u);
}

TEST_F(RepairTest, AfterTenPercentOfNodesDieEveryChunkIsBackOnRLiveReplicasWithinThreeIntervals) {
  ASSERT_TRUE(net.grow(100));
  const std::vector<ChunkId> all = replicate_chunks(150);
  for (std::size_t i = 0; i < 10; ++i) net.kill(net.cluster().random_live_node());
  // A chunk whose every holder died is lost (about one run in ten loses
  // one); the others must heal.
  std::vector<ChunkId> ids;
  std::vector<std::size_t> their_writers;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (net.holders(all[i], true).empty()) continue;
    ids.push_back(all[i]);
    their_writers.push_back(writers[i]);
  }
  EXPECT_GE(ids.size(), all.size() - 2);

  net.start_repair_all();
  const auto start = net.loop().now();
  EXPECT_TRUE(net.run_until([&] { return all_placed(ids); }, start + 3 * kInterval))
      << "not healed within three repair intervals";

  // Copies went where they belong: besides its writer's own copy, a chunk
  // sits outside its R closest live nodes only when a lookup right after
  // the deaths missed a live node (rare: DHT lookups find the closest live
  // nodes 99% of the time then).
  std::size_t stray = 0;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const std::vector<std::size_t> closest = net.closest(ids[i], kR, true);
    for (std::size_t holder : net.holders(ids[i], true)) {
      stray += holder != their_writers[i] && std::find(closest.begin(), closest.end(), holder) == closest.end();
    }
  }
  EXPECT_LE(stray, ids.size() / 50);
  std::cout << "[ healed in " << std::chrono::duration_cast<seconds>(net.loop().now() - start).count()
            << " s of virtual time, " << total_stats().copies_made << " copies, " << stray << " astray ]\n";
}

// dfs status's figures: the chunks short of copies as the rounds last
// found them, each counted once however many rounds find it so, and none
// once repair could heal them.
TEST_F(RepairTest, HealthCountsTheChunksShortNowNotARunningTotal) {
  ASSERT_TRUE(net.grow(3));  // R = 3: every node holds every chunk
  const std::vector<ChunkId> ids = replicate_chunks(10);
  ASSERT_TRUE(net.repair_now(0));
  HealthSnapshot health = net.replicator(0).health();
  EXPECT_EQ(health.rounds, 1u);
  EXPECT_EQ(health.under_replicated, 0u);

  net.kill(2);  // two live nodes: no placement can reach R
  for (int round = 0; round < 3; ++round) ASSERT_TRUE(net.repair_now(0));
  health = net.replicator(0).health();
  EXPECT_EQ(health.under_replicated, ids.size()) << "once each, not once per round";
  EXPECT_EQ(health.copies_missing, ids.size());
  EXPECT_GT(net.replicator(0).stats().under_replicated, ids.size()) << "the running total grows meanwhile";

  ASSERT_TRUE(net.grow(1));  // a third live node: repair copies to it
  net.run_for(net.config().small_network_ttl + seconds(1));  // the peer set of two goes stale
  // Both holders run a round: of each chunk the holder closest to it
  // copies it, the other leaves it to that one (Round::decide).
  ASSERT_TRUE(net.repair_now(1));
  ASSERT_TRUE(net.repair_now(0));
  health = net.replicator(0).health();
  EXPECT_EQ(health.under_replicated, 0u);
  EXPECT_EQ(health.copies_missing, 0u);
  EXPECT_GT(health.copies_last_minute + net.replicator(1).health().copies_last_minute, 0u);
  EXPECT_TRUE(all_placed(ids));
}

TEST_F(RepairTest, AWellPlacedStoreCostsPresenceChecksAndNoCopies) {
  ASSERT_TRUE(net.grow(30));
  const std::vector<ChunkId> ids = replicate_chunks(20);
  for (std::size_t i = 0; i < net.size(); ++i) ASSERT_TRUE(net.repair_now(i));
  const ReplicatorStats stats = total_stats();
  EXPECT_EQ(stats.copies_made, 0u);
  EXPECT_EQ(stats.under_replicated, 0u);
  EXPECT_GE(stats.chunks_checked, ids.size() * kR);
}

// After a partition heals, every holder of a chunk finds the same copy
// missing in the same moment; only the closest holder pushes it, the others
// defer to it (and find it there at their next round). Before, each
// pushed its own: a copy per holder.
TEST_F(RepairTest, WhenEveryHolderFindsACopyMissingAtOnceOnlyTheClosestPushesIt) {
  ASSERT_TRUE(net.grow(20));
  const std::vector<ChunkId> ids = replicate_chunks(10);
  ASSERT_TRUE(all_placed(ids));
  // Each chunk loses its copy on the farthest of its R closest; a spare
  // (not among them) holds one more, as one that took a copy while they
  // were cut off would.
  std::size_t lost = 0;
  for (const ChunkId& id : ids) {
    const std::vector<std::size_t> closest = net.closest(id, kR + 1, true);
    std::vector<std::size_t> by_distance = closest;
    std::sort(by_distance.begin(), by_distance.end(), [&](std::size_t a, std::size_t b) {
      return dht::closer(dht::NodeId::from_chunk(id), net.contact(a).id, net.contact(b).id);
    });
    const std::size_t spare = by_distance[kR];
    const std::size_t loser = by_distance[kR - 1];
    auto sealed = net.store(by_distance[0]).get(id);
    ASSERT_TRUE(sealed.ok());
    ASSERT_TRUE(net.store(spare).put(id, *sealed).ok());
    ASSERT_TRUE(net.store(loser).remove(id).ok());
    ++lost;
  }
  ASSERT_FALSE(all_placed(ids));
  // Every node's round starts in the same moment.
  std::size_t rounds = 0;
  for (std::size_t i = 0; i < net.size(); ++i) net.replicator(i).repair_now([&rounds] { ++rounds; });
  ASSERT_TRUE(net.run_until([&] { return rounds == net.size(); }, net.loop().now() + kInterval));
  EXPECT_TRUE(all_placed(ids));
  EXPECT_EQ(total_stats().copies_made, lost) << "one copy per missing copy, not one per holder";
}

// Issue 15: a copy a holder makes in repair carries the owner's lease key
// (the one recorded with the chunk where the holder got it), not the
// holder's own, so the owner's keyed renewals — from the machine that
// recovers its namespace — cover the new copy too.
TEST_F(RepairTest, ARepairCopyCarriesTheOwnersLeaseKeyNotTheRepairers) {
  ASSERT_TRUE(net.grow(12));
  for (std::size_t i = 0; i < net.size(); ++i) {
    crypto::PublicKey own{};
    own.fill(static_cast<std::uint8_t>(i + 1));
    net.chunks().set_lease_key(net.contact(i).address, own);
  }
  const std::size_t owner = 0;
  crypto::PublicKey owner_key{};
  owner_key.fill(1);
  const ChunkId id = net.add_chunk(owner, 4096, true);
  auto report = net.replicate(owner, id);
  ASSERT_TRUE(report && report->ok() && !(*report)->under_replicated());
  const std::vector<std::size_t> before = net.closest(id, kR, true);
  // The owner is gone (it cannot copy with its own key), and a holder too.
  net.kill(owner);
  const auto holder = std::find_if(before.begin(), before.end(), [&](std::size_t i) { return i != owner; });
  ASSERT_NE(holder, before.end());
  net.kill(*holder);
  net.start_repair_all();
  ASSERT_TRUE(net.run_until([&] { return net.fully_placed(id); }, net.loop().now() + 3 * kInterval));
  std::size_t new_holders = 0;
  for (std::size_t i : net.closest(id, kR, true)) {
    if (std::find(before.begin(), before.end(), i) != before.end()) continue;
    ++new_holders;
    EXPECT_EQ(net.leases(i).key_of(id), PlacerKey(owner_key)) << "node " << i << " got its copy by repair";
  }
  EXPECT_GT(new_holders, 0u);
}

// dfs status's lease horizon (issue 15): a sweep that asked about every
// chunk renewed every lease, so it is stamped when it began, once complete.
TEST_F(RepairTest, ACompleteSweepRecordsWhenItBegan) {
  ASSERT_TRUE(net.grow(10));
  replicate_chunks(5);
  EXPECT_EQ(net.replicator(0).stats().last_sweep_started, 0);
  const std::int64_t before = unix_seconds();
  // A sweep ends with the round that finds no chunk past its cursor.
  for (int round = 0; round < 3 && net.replicator(0).stats().last_sweep_started == 0; ++round) {
    ASSERT_TRUE(net.repair_now(0));
  }
  EXPECT_GE(net.replicator(0).stats().last_sweep_started, before);
  EXPECT_LE(net.replicator(0).stats().last_sweep_started, unix_seconds());
}

TEST_F(RepairTest, RepairAsksEachPeerAboutAllItsChunksInOneHasChunksRequest) {
  ASSERT_TRUE(net.grow(30));
  // 300 chunks on node 0 alone, which repair places (a few rounds: at
  // most repair_copies_per_round copies each; a chunk a round left partly
  // placed, node 0 leaves to its holders for Repairer::deferral(), and
  // they run no repair here).
  std::vector<ChunkId> ids;
  for (int i = 0; i < 300; ++i) ids.push_back(net.add_chunk(0));
  for (int round = 0; round < 10 && !all_placed(ids); ++round) {
    ASSERT_TRUE(net.repair_now(0));
    net.loop().run_for(kInterval);
  }
  ASSERT_TRUE(all_placed(ids));

  net.chunks().reset_stats();
  const std::uint64_t lookups_before = net.replicator(0).stats().repair_lookups;
  ASSERT_TRUE(net.repair_now(0));
  const auto& sent = net.chunks().sent_by(net.contact(0).address);
  EXPECT_EQ(sent.puts, 0u);
  EXPECT_EQ(sent.has_ids, ids.size() * kR - std::count_if(ids.begin(), ids.end(), [&](const ChunkId& id) {
                                             const auto c = net.closest(id, kR, false);
                                             return std::find(c.begin(), c.end(), 0) != c.end();
                                           }));
  EXPECT_LE(sent.has_requests, net.size() - 1);  // one per peer at most
  const std::uint64_t lookups = net.replicator(0).stats().repair_lookups - lookups_before;
  std::cout << "[ " << ids.size() << " chunks checked with " << sent.has_requests << " HAS_CHUNKS requests and "
            << lookups << " lookups ]\n";
  EXPECT_LT(lookups, ids.size() / 4);  // one lookup places a neighbourhood, not one chunk
}

// Issue 10: a peer that claims every chunk in HAS_CHUNKS and stores none
// (it acknowledges PUTs and drops them) held a replica slot for good: repair
// believed it, so its chunks lived on R - 1 real copies. Now its claims are
// challenged, it fails, and the next closest honest peers get the copies.
class LiarTest : public RepairTest {
 protected:
  static constexpr std::size_t kLiar = 5;

  void SetUp() override {
    ASSERT_TRUE(net.grow(12));
    net.chunks().set_lying(net.contact(kLiar).address, true);
    std::size_t lied_about = 0;
    for (int i = 0; i < 40; ++i) {
      const std::size_t writer = i % 2;  // never the liar
      ids.push_back(net.add_chunk(writer));
      ASSERT_TRUE(net.replicate(writer, ids.back()));
      const auto closest = net.closest(ids.back(), kR, true);
      lied_about += std::find(closest.begin(), closest.end(), kLiar) != closest.end();
    }
    ASSERT_GT(lied_about, 0u) << "no chunk has the liar among its R closest";
    ASSERT_FALSE(honestly_placed());
  }

  // The R closest peers but the liar hold each chunk.
  bool honestly_placed() {
    return std::all_of(ids.begin(), ids.end(), [&](const ChunkId& id) {
      std::vector<std::size_t> want = net.closest(id, kR + 1, true);  // sorted by index
      if (std::erase(want, kLiar) == 0) want = net.closest(id, kR, true);
      const auto held = net.holders(id, true);
      return std::includes(held.begin(), held.end(), want.begin(), want.end());
    });
  }

  ReplicatorStats caught() {
    ReplicatorStats sum;
    for (std::size_t i = 0; i < net.size(); ++i) {
      const ReplicatorStats s = net.replicator(i).stats();
      sum.challenges += s.challenges;
      sum.challenges_failed += s.challenges_failed;
      sum.distrusted += s.distrusted;
    }
    std::cout << "[ " << sum.challenges << " challenges, " << sum.challenges_failed << " failed, " << sum.distrusted
              << " distrust ]\n";
    return sum;
  }

  std::vector<ChunkId> ids;
};

TEST_F(LiarTest, APeerClaimingChunksItDoesNotHoldFailsItsChallengeAndHonestPeersGetTheCopies) {
  net.start_repair_all();
  const auto start = net.loop().now();
  EXPECT_TRUE(net.run_until([&] { return honestly_placed(); }, start + 3 * kInterval))
      << "the liar's chunks stayed short";
  const ReplicatorStats stats = caught();
  EXPECT_GT(stats.challenges_failed, 0u);
  EXPECT_GT(stats.distrusted, 0u);
  // Honest holders prove what they claim: only the liar's answers failed.
  EXPECT_LT(stats.challenges_failed, stats.challenges);
}

// A liar that answers HAS_CHUNKS but never a challenge looks, in one
// round, like a peer cut off after its answer (forgiven, below); silent
// again in the next round, it is distrusted.
TEST_F(LiarTest, APeerThatClaimsEverythingAndDodgesEveryChallengeIsDistrustedByItsSecondRound) {
  net.chunks().drop_challenges(net.contact(kLiar).address, SIZE_MAX);
  for (std::size_t i = 0; i < net.size(); ++i) ASSERT_TRUE(net.repair_now(i));
  EXPECT_EQ(caught().distrusted, 0u) << "distrusted for one round of silence";
  net.start_repair_all();
  const auto start = net.loop().now();
  EXPECT_TRUE(net.run_until([&] { return honestly_placed(); }, start + 4 * kInterval))
      << "the dodger's chunks stayed short";
  EXPECT_GT(caught().distrusted, 0u);
}

// A holder cut off between its HAS_CHUNKS answer and the challenge that
// follows (the partition test of tests/netharness saw this) is no liar:
// not distrusted, and nothing it holds is copied elsewhere. Before, it was
// distrusted for an hour and its chunks were copied to other peers.
TEST_F(RepairTest, AHolderWhoseChallengesAreLostInOneRoundIsNotDistrustedAndNothingIsCopied) {
  ASSERT_TRUE(net.grow(20));
  const std::vector<ChunkId> ids = replicate_chunks(20);
  ASSERT_TRUE(all_placed(ids));
  const std::size_t holder = net.closest(ids[0], kR, true).front();
  net.chunks().drop_challenges(net.contact(holder).address, SIZE_MAX);
  for (std::size_t i = 0; i < net.size(); ++i) ASSERT_TRUE(net.repair_now(i));
  net.chunks().drop_challenges(net.contact(holder).address, 0);
  for (std::size_t i = 0; i < net.size(); ++i) ASSERT_TRUE(net.repair_now(i));
  for (std::size_t i = 0; i < net.size(); ++i) {
    EXPECT_EQ(net.replicator(i).stats().distrusted, 0u) << "node " << i;
    EXPECT_EQ(net.replicator(i).stats().challenges_failed, 0u) << "node " << i;
  }
  EXPECT_EQ(total_stats().copies_made, 0u);
}

// A holder that claims what it has proves it, so a healthy network costs
// challenges and never distrusts anyone.
TEST_F(RepairTest, HonestHoldersPassEveryChallenge) {
  ASSERT_TRUE(net.grow(20));
  replicate_chunks(20);
  for (std::size_t i = 0; i < net.size(); ++i) ASSERT_TRUE(net.repair_now(i));
  std::uint64_t sent = 0;
  for (std::size_t i = 0; i < net.size(); ++i) {
    EXPECT_EQ(net.replicator(i).stats().challenges_failed, 0u) << "node " << i;
    sent += net.replicator(i).stats().challenges;
  }
  EXPECT_GT(sent, 0u);
  EXPECT_GT(net.chunks().stats().proves, 0u);
}

// The owner's own chunks that others are responsible for sit in its owned
// store (a node's cache/), which it does not serve. Nobody else's repair
// covers such a chunk once its holders are gone, so the owner's must.
class OwnedChunksTest : public RepairTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(net.grow(20));
    // A chunk in node 0's owned store, node 0 not among its R closest.
    do {
      id = net.add_chunk(0, 4096, true);
      closest = net.closest(id, kR, true);
    } while (std::find(closest.begin(), closest.end(), 0) != closest.end());
    auto bytes = net.owned(0).get(id);
    ASSERT_TRUE(bytes.ok());
    sealed = std::move(bytes).value();
  }

  ChunkId id;
  std::vector<std::size_t> closest;  // the R closest live nodes
  Bytes sealed;
};

TEST_F(OwnedChunksTest, TheOwnersRepairChecksAnOwnedChunkOnItsRClosestAndCopiesItToThoseLackingIt) {
  const std::size_t survivor = closest.front();
  ASSERT_TRUE(net.store(survivor).put(id, sealed).ok());

  ASSERT_TRUE(net.repair_now(0));
  const auto& sent = net.chunks().sent_by(net.contact(0).address);
  EXPECT_EQ(sent.has_ids, kR);      // each of the R closest asked once
  EXPECT_EQ(sent.puts, 0u);         // the survivor, one of them, copies first
  EXPECT_EQ(net.leases(survivor).count(id), 1u);  // renewed by the HAS
  // The survivor runs no repair here: once Repairer::deferral() has passed,
  // the owner copies to each but the survivor itself.
  net.loop().run_for(kInterval);
  ASSERT_TRUE(net.repair_now(0));
  EXPECT_EQ(sent.has_ids, 2 * kR);
  EXPECT_EQ(sent.puts, kR - 1);
  EXPECT_TRUE(net.fully_placed(id));
  EXPECT_FALSE(*net.store(0).contains(id));  // the owner still does not serve it
}

TEST_F(OwnedChunksTest, EveryRoundOfTheOwnerRenewsTheLeasesOfAPlacedOwnedChunk) {
  for (std::size_t holder : closest) ASSERT_TRUE(net.store(holder).put(id, sealed).ok());

  for (std::size_t round = 1; round <= 2; ++round) {
    ASSERT_TRUE(net.repair_now(0));
    for (std::size_t holder : closest) EXPECT_EQ(net.leases(holder).count(id), round);
  }
  EXPECT_EQ(net.chunks().sent_by(net.contact(0).address).puts, 0u);
}

// A mount recovered on a new machine (issue 15) references a whole tree
// it has not fetched. Its rounds ask the holders about those chunks too,
// renewing their leases, but send no copy and no challenge: it has
// neither the bytes to push nor a copy to check a proof against.
TEST_F(OwnedChunksTest, EveryRoundRenewsTheLeasesOfAChunkTheOwnerReferencesWithoutHoldingIt) {
  for (std::size_t holder : closest) ASSERT_TRUE(net.store(holder).put(id, sealed).ok());
  ASSERT_TRUE(net.owned(0).remove(id).ok());
  net.reference(0, id);

  for (std::size_t round = 1; round <= 2; ++round) {
    ASSERT_TRUE(net.repair_now(0));
    for (std::size_t holder : closest) EXPECT_EQ(net.leases(holder).count(id), round) << "holder " << holder;
  }
  const auto& sent = net.chunks().sent_by(net.contact(0).address);
  EXPECT_EQ(sent.puts, 0u);
  EXPECT_EQ(net.replicator(0).stats().challenges, 0u);
}

TEST_F(OwnedChunksTest, ARoundSendsNoCopyOfAReferencedChunkItDoesNotHoldAndSaysItIsShort) {
  const std::size_t survivor = closest.front();
  ASSERT_TRUE(net.store(survivor).put(id, sealed).ok());
  ASSERT_TRUE(net.owned(0).remove(id).ok());
  net.reference(0, id);

  for (int round = 0; round < 2; ++round) {
    ASSERT_TRUE(net.repair_now(0));
    net.loop().run_for(kInterval);  // past Repairer::deferral(): a holder would copy by now
  }
  EXPECT_EQ(net.chunks().sent_by(net.contact(0).address).puts, 0u);
  EXPECT_EQ(net.leases(survivor).count(id), 2u);
  EXPECT_EQ(net.replicator(0).health().under_replicated, 1u);
}

TEST_F(RepairTest, AnOwnedChunkWhoseOwnerIsOneOfItsRClosestMovesIntoTheOwnersStoreSoItIsServed) {
  ASSERT_TRUE(net.grow(20));
  ChunkId id;
  std::vector<std::size_t> closest;
  do {
    id = net.add_chunk(0, 4096, true);
    closest = net.closest(id, kR, true);
  } while (std::find(closest.begin(), closest.end(), 0) == closest.end());

  ASSERT_TRUE(net.repair_now(0));
  EXPECT_TRUE(*net.store(0).contains(id));   // now a copy others can fetch
  EXPECT_FALSE(*net.owned(0).contains(id));  // moved, not doubled
  EXPECT_TRUE(net.fully_placed(id));         // the other R - 1 got theirs
}

class SmallRoundsTest : public RepairTest {
 protected:
  static ReplicationClusterConfig config() {
    ReplicationClusterConfig c = repair_config(22);
    c.replication.repair_chunks_per_round = 25;
    c.replication.repair_copies_per_round = 10;
    c.replication.has_batch_size = 8;
    return c;
  }
  SmallRoundsTest() : RepairTest(config()) {}
  void SetUp() override { ASSERT_TRUE(net.grow(20)); }
};

TEST_F(SmallRoundsTest, ARoundChecksAtMostChunksPerRoundAndTheNextResumesWhereItStopped) {
  std::vector<ChunkId> ids;
  for (int i = 0; i < 60; ++i) ids.push_back(net.add_chunk(0));
  for (const ChunkId& id : ids) ASSERT_TRUE(net.replicate(0, id) && net.fully_placed(id));

  std::vector<std::uint64_t> per_round;
  std::uint64_t before = 0;
  for (int round = 0; round < 4; ++round) {
    ASSERT_TRUE(net.repair_now(0));
    const std::uint64_t now = net.replicator(0).stats().chunks_checked;
    per_round.push_back(now - before);
    before = now;
  }
  // 60 chunks, 25 a round: 25, 25, the last 10, then around again.
  EXPECT_EQ(per_round, (std::vector<std::uint64_t>{25, 25, 10, 25}));
  EXPECT_LE(net.chunks().sent_by(net.contact(0).address).max_has_batch, 8u);
}

TEST_F(SmallRoundsTest, ARoundPushesAtMostCopiesPerRoundAndLaterRoundsFinishTheJob) {
  std::vector<ChunkId> ids;
  for (int i = 0; i < 20; ++i) ids.push_back(net.add_chunk(0));  // on node 0 only: 40-60 copies needed

  ASSERT_TRUE(net.repair_now(0));
  EXPECT_EQ(net.replicator(0).stats().copies_made, 10u);
  // A chunk a round left partly placed, node 0 leaves to its holders for
  // Repairer::deferral(); they run no repair here, so time passes.
  for (int round = 0; round < 20 && !all_placed(ids); ++round) {
    ASSERT_TRUE(net.repair_now(0));
    net.loop().run_for(kInterval);
  }
  EXPECT_TRUE(all_placed(ids));
}

}  // namespace
}  // namespace dfs::replicate
