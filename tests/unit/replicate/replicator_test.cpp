// Replicator on the simulator: placement, fetch with fallback, bounds.
// Every check of "where copies are" is against the global node list.
#include <gtest/gtest.h>

#include <algorithm>

#include "replication_cluster.hpp"

namespace dfs::replicate {
namespace {

using sim::ReplicationCluster;
using sim::ReplicationClusterConfig;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::size_t kNodes = 40;
constexpr std::size_t kR = 3;

ReplicationClusterConfig base_config(std::uint64_t seed = 11) {
  ReplicationClusterConfig c;
  c.cluster.seed = sim::seed_offset() + seed;
  c.replication.replicas = kR;
  c.replication.transfer_timeout = seconds(2);  // the sim client times out after 1 s
  c.replication.fetch_hedge_delay = milliseconds(200);
  c.replication.fetch_timeout = seconds(20);
  return c;
}

bool contains(const std::vector<std::size_t>& v, std::size_t x) { return std::find(v.begin(), v.end(), x) != v.end(); }

class ReplicatorTest : public ::testing::Test {
 protected:
  explicit ReplicatorTest(ReplicationClusterConfig config = base_config()) : net(config) {}
  void SetUp() override { ASSERT_TRUE(net.grow(kNodes)); }

  // A chunk written on a random node and replicated from there; the
  // writer's own copy is removed unless it is a replica, so that only the
  // R closest hold it.
  ChunkId replicated_chunk() {
    const std::size_t writer = net.cluster().random_live_node();
    const ChunkId id = net.add_chunk(writer);
    auto report = net.replicate(writer, id);
    EXPECT_TRUE(report && report->ok());
    if (!contains(net.closest(id, kR, true), writer)) {
      EXPECT_TRUE(net.store(writer).remove(id).ok());
    }
    EXPECT_EQ(net.holders(id, true), net.closest(id, kR, true));
    return id;
  }

  // The node closest to `id` other than `writer`: one of the R its
  // replication places a copy on.
  std::size_t closest_but(std::size_t writer, const ChunkId& id) {
    std::vector<dht::NodeId> order = net.cluster().true_closest(dht::NodeId::from_chunk(id), 2, false);
    std::erase(order, net.contact(writer).id);
    std::size_t node = 0;
    while (net.contact(node).id != order.front()) ++node;
    return node;
  }

  // A live node that holds no copy of `id`.
  std::size_t reader_without(const ChunkId& id) {
    for (;;) {
      const std::size_t i = net.cluster().random_live_node();
      if (!contains(net.holders(id, false), i)) return i;
    }
  }

  ReplicationCluster net;
};

TEST_F(ReplicatorTest, ReplicatePutsTheChunkOnExactlyTheRClosestNodes) {
  for (int i = 0; i < 12; ++i) {
    const std::size_t writer = net.cluster().random_live_node();
    const ChunkId id = net.add_chunk(writer);
    auto report = net.replicate(writer, id);
    ASSERT_TRUE(report && report->ok());

    const std::vector<std::size_t> closest = net.closest(id, kR, false);
    std::vector<std::size_t> expected = closest;
    if (!contains(expected, writer)) expected.push_back(writer);  // its own copy
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(net.holders(id, false), expected);

    EXPECT_EQ((*report)->wanted, kR);
    EXPECT_EQ((*report)->confirmed, kR);
    EXPECT_FALSE((*report)->under_replicated());
    EXPECT_EQ((*report)->self_is_replica, contains(closest, writer));
    EXPECT_EQ((*report)->holders.size(), (*report)->self_is_replica ? kR - 1 : kR);
  }
}

TEST_F(ReplicatorTest, FetchFromANodeWithoutACopyReturnsTheVerifiedBytesAndDoesNotStoreThem) {
  const ChunkId id = replicated_chunk();
  const Bytes expected = *net.store(net.closest(id, kR, true).front()).get(id);
  const std::size_t reader = reader_without(id);

  auto got = net.fetch(reader, id);
  ASSERT_TRUE(got && got->ok()) << (got ? got->error().to_string() : "no answer");
  EXPECT_EQ(**got, expected);
  EXPECT_FALSE(*net.store(reader).contains(id));
}

// Readers ask the local stores through the chunk chain before the network
// (store/chunk_source.hpp): fetch asking them again would read the disk twice.
TEST_F(ReplicatorTest, FetchAsksThePeersAndNotTheLocalStore) {
  const ChunkId id = replicated_chunk();
  const std::size_t holder = net.closest(id, kR, true).front();
  net.chunks().reset_stats();
  auto got = net.fetch(holder, id);
  ASSERT_TRUE(got && got->ok()) << (got ? got->error().to_string() : "no answer");
  EXPECT_EQ(ChunkId::of(**got), id);
  EXPECT_GE(net.chunks().stats().gets, 1u);
}

TEST_F(ReplicatorTest, FetchSurvivesKillingRMinusOneReplicas) {
  for (int i = 0; i < 5; ++i) {
    const ChunkId id = replicated_chunk();
    const std::size_t reader = reader_without(id);
    const std::vector<std::size_t> replicas = net.closest(id, kR, true);
    for (std::size_t r = 0; r + 1 < replicas.size(); ++r) net.kill(replicas[r]);

    auto got = net.fetch(reader, id);
    ASSERT_TRUE(got && got->ok()) << (got ? got->error().to_string() : "no answer");
    EXPECT_EQ(ChunkId::of(**got), id);
  }
}

TEST_F(ReplicatorTest, FetchFallsBackWhenAReplicaServesBytesThatDoNotMatchAndReportsThePeer) {
  const ChunkId id = replicated_chunk();
  const std::size_t reader = reader_without(id);
  // The closest replica is asked first; it lies.
  const dht::NodeId closest_id = net.cluster().true_closest(dht::NodeId::from_chunk(id), 1, true).front();
  std::size_t liar = 0;
  while (net.contact(liar).id != closest_id) ++liar;
  net.chunks().set_tampering(net.contact(liar).address, true);

  ::testing::internal::CaptureStderr();
  auto got = net.fetch(reader, id);
  const std::string log = ::testing::internal::GetCapturedStderr();

  ASSERT_TRUE(got && got->ok()) << (got ? got->error().to_string() : "no answer");
  EXPECT_EQ(ChunkId::of(**got), id);
  EXPECT_EQ(net.replicator(reader).stats().corrupt_responses, 1u);
  EXPECT_NE(log.find(net.contact(liar).id.short_hex()), std::string::npos) << log;
  EXPECT_NE(log.find(net.contact(liar).address), std::string::npos) << log;
}

TEST_F(ReplicatorTest, FetchFallsBackWhenAReplicaCopyWentBadOnDisk) {
  const ChunkId id = replicated_chunk();
  const std::size_t reader = reader_without(id);
  for (std::size_t replica : net.closest(id, kR, true)) {
    if (replica != net.closest(id, kR, true).back()) {
      ASSERT_TRUE(net.store(replica).corrupt_for_testing(id).ok());
    }
  }
  auto got = net.fetch(reader, id);
  ASSERT_TRUE(got && got->ok()) << (got ? got->error().to_string() : "no answer");
  EXPECT_EQ(ChunkId::of(**got), id);
}

TEST_F(ReplicatorTest, FetchOfAChunkNobodyHoldsFailsNotFoundSayingHowManyPeersWereAsked) {
  const ChunkId id = ChunkId::of(as_bytes("held by nobody"));
  const auto start = net.loop().now();
  auto got = net.fetch(0, id);
  ASSERT_TRUE(got.has_value());
  ASSERT_FALSE(got->ok());
  EXPECT_EQ(got->error().code, Errc::not_found) << "every peer asked said it holds no such chunk";
  EXPECT_NE(got->error().message.find("asked"), std::string::npos) << got->error().message;
  EXPECT_NE(got->error().message.find("did not hold it"), std::string::npos) << got->error().message;
  EXPECT_LE(net.loop().now() - start, net.config().fetch_timeout);
  EXPECT_EQ(net.replicator(0).stats().fetch_failures, 1u);
}

// "asked 0 peers" said nothing when the holders were down: the error names
// each peer asked and why it failed.
TEST_F(ReplicatorTest, AFailedFetchNamesEveryReplicaItAskedAndWhyEachFailed) {
  const ChunkId id = replicated_chunk();
  const std::size_t reader = reader_without(id);
  const std::vector<std::size_t> replicas = net.closest(id, kR, true);
  for (std::size_t r : replicas) net.kill(r);
  auto got = net.fetch(reader, id);
  ASSERT_TRUE(got.has_value());
  ASSERT_FALSE(got->ok());
  const std::string& message = got->error().message;
  EXPECT_EQ(message.find("asked 0"), std::string::npos) << message;
  std::size_t named = 0;
  for (std::size_t r : replicas) named += message.find(net.contact(r).address + ":") != std::string::npos ? 1 : 0;
  EXPECT_GE(named, 1u) << "a dead replica asked is named with its address: " << message;
}

TEST_F(ReplicatorTest, ReplicateGivesARefusedCopyToTheNextClosestPeer) {
  const std::size_t writer = net.cluster().random_live_node();
  const ChunkId id = net.add_chunk(writer);
  const std::size_t full = closest_but(writer, id);
  net.chunks().set_refusing_puts(net.contact(full).address, true);

  auto report = net.replicate(writer, id);
  ASSERT_TRUE(report && report->ok());
  EXPECT_EQ((*report)->confirmed, kR);
  EXPECT_FALSE(contains(net.holders(id, false), full));
  for (const auto& holder : (*report)->holders) EXPECT_NE(holder.id, net.contact(full).id);
}

// "Busy" means later, not no: a peer whose put rate limit the owner's
// bulk copy outruns is asked again after a wait, and the copy stays on the
// chunk's R closest instead of going to a spare.
TEST_F(ReplicatorTest, ReplicateAsksABusyPeerAgainAndTheCopyStaysOnTheClosest) {
  const std::size_t writer = net.cluster().random_live_node();
  const ChunkId id = net.add_chunk(writer);
  const std::size_t busy = closest_but(writer, id);
  net.chunks().answer_busy(net.contact(busy).address, 3);

  auto report = net.replicate(writer, id);
  ASSERT_TRUE(report && report->ok());
  EXPECT_EQ((*report)->confirmed, kR);
  EXPECT_TRUE(contains(net.holders(id, false), busy)) << "the busy peer's copy went to a spare";
}

TEST_F(ReplicatorTest, ReplicateOfAChunkNotInTheLocalStoreFailsNotFound) {
  auto report = net.replicate(0, ChunkId::of(as_bytes("not stored")));
  ASSERT_TRUE(report.has_value());
  ASSERT_FALSE(report->ok());
  EXPECT_EQ(report->error().code, Errc::not_found);
}

TEST_F(ReplicatorTest, DestroyingAReplicatorWithOperationsInFlightCallsNothingBack) {
  const ChunkId id = replicated_chunk();
  const std::size_t node = reader_without(id);
  const ChunkId own = net.add_chunk(node);
  bool called = false;
  net.replicator(node).fetch(id, [&called](Result<Bytes>) { called = true; });
  net.replicator(node).replicate(own, [&called](Result<ReplicaReport>) { called = true; });
  net.replicator(node).start();
  net.run_for(milliseconds(30));  // lookups and transfers are in flight now
  net.reset_replicator(node);
  net.run_for(seconds(60));
  EXPECT_FALSE(called);
}

class TinyNetworkTest : public ReplicatorTest {
 protected:
  void SetUp() override { ASSERT_TRUE(net.grow(2)); }
};

TEST_F(TinyNetworkTest, WithFewerNodesThanReplicasEveryNodeHoldsTheChunkAndTheReportSaysUnderReplicated) {
  const ChunkId id = net.add_chunk(0);
  auto report = net.replicate(0, id);
  ASSERT_TRUE(report && report->ok());
  EXPECT_EQ((*report)->wanted, kR);
  EXPECT_EQ((*report)->confirmed, 2u);
  EXPECT_TRUE((*report)->self_is_replica);
  EXPECT_TRUE((*report)->under_replicated());
  EXPECT_EQ(net.holders(id, false), (std::vector<std::size_t>{0, 1}));
}

TEST_F(ReplicatorTest, ReplicateSealedPlacesBytesTheCallerHoldsWithoutReadingTheStore) {
  const std::size_t writer = net.cluster().random_live_node();
  const ChunkId id = net.add_chunk(writer);
  auto bytes = std::make_shared<const Bytes>(*net.store(writer).get(id));
  ASSERT_TRUE(net.store(writer).remove(id).ok());  // so a read of the store would fail
  std::optional<Result<ReplicaReport>> report;
  net.replicator(writer).replicate_sealed(id, bytes, [&report](Result<ReplicaReport> r) { report = std::move(r); });
  ASSERT_TRUE(net.run_until([&] { return report.has_value(); }, net.loop().now() + seconds(30)));
  ASSERT_TRUE(report->ok());
  std::vector<std::size_t> placed = net.closest(id, kR, true);
  std::erase(placed, writer);  // its own copy was the caller's to keep
  EXPECT_EQ(net.holders(id, true), placed);
}

TEST_F(TinyNetworkTest, InANetworkSmallerThanKOneLookupServesTheNextChunksPlacements) {
  const ChunkId first = net.add_chunk(0);
  ASSERT_TRUE(net.replicate(0, first) && net.replicate(0, first)->ok());
  const std::uint64_t lookups = net.cluster().dht(0).lookup_totals().lookups;
  for (std::uint32_t i = 0; i < 5; ++i) {
    const ChunkId id = net.add_chunk(0);
    auto report = net.replicate(0, id);
    ASSERT_TRUE(report && report->ok());
    EXPECT_EQ(net.holders(id, false), (std::vector<std::size_t>{0, 1}));
  }
  EXPECT_EQ(net.cluster().dht(0).lookup_totals().lookups, lookups) << "the peer set of the first lookup was reused";
}

TEST_F(TinyNetworkTest, APeerSetOlderThanItsTtlIsLookedUpAgain) {
  ASSERT_TRUE(net.replicate(0, net.add_chunk(0)).has_value());
  const std::uint64_t lookups = net.cluster().dht(0).lookup_totals().lookups;
  net.loop().run_for(net.config().small_network_ttl + seconds(1));
  auto report = net.replicate(0, net.add_chunk(0));
  ASSERT_TRUE(report && report->ok());
  EXPECT_GT(net.cluster().dht(0).lookup_totals().lookups, lookups);
}

// The flake this fixes (p2p suite): a peer remembered the network as the
// peers a lookup found before the last ones had joined, and for the TTL it
// neither placed copies on nor fetched from the newcomers.
TEST_F(TinyNetworkTest, APeerThatJoinsAfterTheLookupIsUsedBeforeTheTtlEnds) {
  ASSERT_TRUE(net.replicate(0, net.add_chunk(0)).has_value());
  ASSERT_TRUE(net.grow(1));
  ASSERT_TRUE(net.run_until([&] { return net.cluster().dht(0).table().size() == 2; }, net.loop().now() + seconds(5)));
  const ChunkId id = net.add_chunk(0);
  auto report = net.replicate(0, id);
  ASSERT_TRUE(report && report->ok());
  EXPECT_EQ(net.holders(id, false), (std::vector<std::size_t>{0, 1, 2})) << "the newcomer is one of the R = 3";
}

class OffloadTest : public ReplicatorTest {
 protected:
  static ReplicationClusterConfig config() {
    ReplicationClusterConfig c = base_config(12);
    c.offload = true;
    return c;
  }
  OffloadTest() : ReplicatorTest(config()) {}
};

TEST_F(OffloadTest, WithDiskReadsAndHashingOnAWorkerPoolReplicateAndFetchStillWork) {
  const ChunkId id = replicated_chunk();
  auto got = net.fetch(reader_without(id), id);
  ASSERT_TRUE(got && got->ok());
  EXPECT_EQ(ChunkId::of(**got), id);
  // The local read of replicate and the hash of the fetched answer.
  EXPECT_GE(net.runner()->jobs_off_thread(), 2u);
}

// A ChunkClient that takes requests and never answers: a wedged
// connection. The Replicator's own deadlines must end every operation.
class SilentClient final : public ChunkClient {
 public:
  void put_chunk(const dht::Contact&, const ChunkId&, SharedBytes, const PlacerKey&,
                 std::function<void(Status)> done) override {
    held.push_back([done] { (void)done; });
  }
  void get_chunk(const dht::Contact&, const ChunkId&, std::function<void(Result<Bytes>)> done) override {
    held.push_back([done] { (void)done; });
  }
  void has_chunks(const dht::Contact&, std::vector<ChunkId>, std::function<void(Result<std::vector<bool>>)> done) override {
    held.push_back([done] { (void)done; });
  }
  void prove_chunk(const dht::Contact&, const ChunkId&, const ProofNonce&,
                   std::function<void(Result<crypto::Digest>)> done) override {
    held.push_back([done] { (void)done; });
  }
  std::vector<std::function<void()>> held;  // keeps the callbacks alive, uncalled
};

TEST_F(ReplicatorTest, AChunkClientThatNeverAnswersCannotHangFetchOrReplicate) {
  SilentClient silent;
  ReplicationConfig config = net.config();
  Replicator replicator(net.cluster().dht(0), silent, net.store(0), net.loop(), config);

  const ChunkId own = net.add_chunk(0);
  std::optional<Result<ReplicaReport>> report;
  replicator.replicate(own, [&report](Result<ReplicaReport> r) { report = std::move(r); });
  std::optional<Result<Bytes>> fetched;
  replicator.fetch(ChunkId::of(as_bytes("elsewhere")), [&fetched](Result<Bytes> r) { fetched = std::move(r); });

  const auto start = net.loop().now();
  ASSERT_TRUE(net.run_until([&] { return report && fetched; }, start + config.fetch_timeout + seconds(5)));
  ASSERT_TRUE(report->ok());
  EXPECT_TRUE((*report)->under_replicated());
  ASSERT_FALSE(fetched->ok());
  EXPECT_EQ(fetched->error().code, Errc::unavailable);
  EXPECT_FALSE(silent.held.empty());
}

}  // namespace
}  // namespace dfs::replicate
