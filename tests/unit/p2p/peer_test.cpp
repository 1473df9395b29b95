// The P2P engine assembled (p2p/peer.hpp), in one process over TLS on
// 127.0.0.1: a peer joins through another, learns it, fetches a chunk only
// the other holds, and places a chunk on it; its status names it.
#include "dfs/p2p/peer.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "../../common/eventually.hpp"
#include "../../common/temp_dir.hpp"
#include "dfs/store/memory_chunk_store.hpp"

namespace dfs::p2p {
namespace {

using namespace std::chrono_literals;

Bytes some_bytes(std::size_t n, std::uint8_t seed) {
  Bytes out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(seed + i * 7);
  return out;
}

class PeerPair : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    auto a = Peer::start(options("a", {}), store_a_);
    ASSERT_TRUE(a.ok()) << a.error().to_string();
    a_ = std::move(*a);
    auto b = Peer::start(options("b", {a_->listen_address()}), store_b_);
    ASSERT_TRUE(b.ok()) << b.error().to_string();
    b_ = std::move(*b);
    ASSERT_TRUE(dfs::testing::eventually([&] { return b_->peers().size() == 1 && a_->peers().size() == 1; }))
        << "the two peers never learnt each other";
  }
  void TearDown() override {
    if (b_) b_->stop();
    if (a_) a_->stop();
  }

  PeerOptions options(const std::string& name, std::vector<std::string> bootstrap) {
    PeerOptions o;
    o.data_dir = dir_.file(name);
    std::filesystem::create_directories(o.data_dir);
    o.listen = "127.0.0.1:0";
    o.bootstrap = std::move(bootstrap);
    o.replicas = 2;
    o.rpc_timeout = 2s;
    o.fetch_timeout = 5s;
    return o;
  }

  dfs::testing::TempDir dir_{"dfs-p2p-unit"};
  store::MemoryChunkStore store_a_;
  store::MemoryChunkStore store_b_;
  std::unique_ptr<Peer> a_;
  std::unique_ptr<Peer> b_;
};

TEST_F(PeerPair, EachKnowsTheOtherByTheIdItProved) {
  const auto known_by_b = b_->peers();
  ASSERT_EQ(known_by_b.size(), 1u);
  EXPECT_EQ(known_by_b[0].node_id, a_->node_id_hex());
  EXPECT_EQ(known_by_b[0].address, a_->listen_address());
  const replicate::NetworkStatus status = b_->status();
  EXPECT_EQ(status.node_id, b_->node_id_hex());
  EXPECT_EQ(status.listen_address, b_->listen_address());
  EXPECT_EQ(status.peers, 1u);
  EXPECT_EQ(status.replicas, 2u);
}

TEST_F(PeerPair, AChunkOnlyTheOtherHoldsIsFetchedVerified) {
  const Bytes sealed = some_bytes(5000, 1);
  const ChunkId id = ChunkId::of(sealed);
  ASSERT_TRUE(store_a_.put(id, sealed).ok());
  auto fetched = b_->fetch(id);
  ASSERT_TRUE(fetched.ok()) << fetched.error().to_string();
  EXPECT_EQ(*fetched, sealed);
}

TEST_F(PeerPair, AChunkNobodyHoldsIsNotFound) {
  const ChunkId id = ChunkId::of(some_bytes(100, 2));
  auto fetched = b_->fetch(id);
  ASSERT_FALSE(fetched.ok());
}

TEST_F(PeerPair, AStreamedChunkIsPlacedOnBothPeers) {
  const Bytes sealed = some_bytes(7000, 3);
  const ChunkId id = ChunkId::of(sealed);
  ASSERT_TRUE(store_b_.put(id, sealed).ok());
  // b counts its own copy as a replica once a dials it back (reachability.hpp).
  ASSERT_TRUE(dfs::testing::eventually([&] { return b_->status().reachable.rfind("yes", 0) == 0; }));
  auto stream = b_->start_replication();
  stream->add(id, std::make_shared<const Bytes>(sealed));
  const replicate::ReplicationSummary summary = stream->finish();
  EXPECT_EQ(summary.wanted, 2u);
  EXPECT_EQ(summary.min_confirmed, 2u);
  EXPECT_TRUE(*store_a_.contains(id));
}

// Issue 12: a put of many small chunks (a tree's) sends them in PUT_CHUNKS
// batches, over real TLS, and every one is stored at the other peer.
TEST_F(PeerPair, ManySmallStreamedChunksArePlacedInBatches) {
  ASSERT_TRUE(dfs::testing::eventually([&] { return b_->status().reachable.rfind("yes", 0) == 0; }));
  std::vector<ChunkId> ids;
  std::vector<std::shared_ptr<const Bytes>> chunks;
  for (int i = 0; i < 300; ++i) {
    chunks.push_back(std::make_shared<const Bytes>(some_bytes(2000 + static_cast<std::size_t>(i), static_cast<std::uint8_t>(i))));
    ids.push_back(ChunkId::of(*chunks.back()));
    ASSERT_TRUE(store_b_.put(ids.back(), *chunks.back()).ok());
  }
  auto stream = b_->start_replication();
  for (std::size_t i = 0; i < ids.size(); ++i) stream->add(ids[i], chunks[i]);
  const replicate::ReplicationSummary summary = stream->finish();
  EXPECT_EQ(summary.min_confirmed, 2u);
  for (const ChunkId& id : ids) EXPECT_TRUE(*store_a_.contains(id));
  // "N puts stored (M batches)" in a's limits: fewer requests than chunks.
  std::string line;
  for (const std::string& l : a_->status().limits) {
    if (l.rfind("storage for others", 0) == 0) line = l;
  }
  const auto open = line.find(" puts stored (");
  ASSERT_NE(open, std::string::npos) << line;
  const std::uint64_t batches = std::stoull(line.substr(open + 14));
  EXPECT_GE(batches, 1u) << line;
  EXPECT_LT(batches, ids.size() / 4) << line;
}

}  // namespace
}  // namespace dfs::p2p
