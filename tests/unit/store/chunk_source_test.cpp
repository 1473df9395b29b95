// The chunk chain (local store → cache → peers): its rule for corrupt
// local copies and its caching rule. The ChunkStore contract it also keeps
// runs in chunk_store_contract_test.cpp.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>

#include "dfs/store/chunk_source.hpp"
#include "dfs/store/memory_chunk_store.hpp"
#include "store_test_util.hpp"

namespace dfs::store {
namespace {

using testing::make_chunk;
using testing::TestChunk;

// Peers as a chain sees them: a store of their own, and a count of fetches.
struct FakePeers {
  MemoryChunkStore held;
  std::atomic<int> fetches{0};

  RemoteChunks::Fetch fetch() {
    return [this](const ChunkId& id) {
      ++fetches;
      return held.get(id);
    };
  }
};

class ChunkSourceTest : public ::testing::Test {
 protected:
  std::unique_ptr<ChunkStore> chain(bool keep_fetched = true) {
    return make_chunk_source(ChunkChain{&local, &cache, peers.fetch(), keep_fetched});
  }

  MemoryChunkStore local;
  MemoryChunkStore cache;
  FakePeers peers;
  const TestChunk chunk = make_chunk(4096, 1);
};

TEST_F(ChunkSourceTest, ALocalChunkIsReadWithoutAskingTheCacheOrThePeers) {
  ASSERT_TRUE(local.put(chunk.id, chunk.bytes).ok());
  ASSERT_TRUE(peers.held.put(chunk.id, chunk.bytes).ok());
  auto got = chain()->get(chunk.id);
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  EXPECT_EQ(*got, chunk.bytes);
  EXPECT_EQ(peers.fetches, 0);
}

TEST_F(ChunkSourceTest, ACachedChunkIsReadWithoutAskingThePeers) {
  ASSERT_TRUE(cache.put(chunk.id, chunk.bytes).ok());
  auto got = chain()->get(chunk.id);
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  EXPECT_EQ(*got, chunk.bytes);
  EXPECT_EQ(peers.fetches, 0);
}

TEST_F(ChunkSourceTest, AChunkOnlyPeersHoldIsFetchedAndKeptInTheCacheForTheNextRead) {
  ASSERT_TRUE(peers.held.put(chunk.id, chunk.bytes).ok());
  auto source = chain();
  auto first = source->get(chunk.id);
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  EXPECT_EQ(*first, chunk.bytes);
  EXPECT_TRUE(*cache.contains(chunk.id));
  EXPECT_FALSE(*local.contains(chunk.id));  // the local store holds what this peer serves

  auto again = source->get(chunk.id);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(peers.fetches, 1);
}

TEST_F(ChunkSourceTest, AChainThatDoesNotKeepFetchedChunksLeavesTheCacheAlone) {
  ASSERT_TRUE(peers.held.put(chunk.id, chunk.bytes).ok());
  ASSERT_TRUE(chain(/*keep_fetched=*/false)->get(chunk.id).ok());
  EXPECT_FALSE(*cache.contains(chunk.id));
}

TEST_F(ChunkSourceTest, ACorruptLocalCopyIsQuarantinedThenFetchedFromThePeers) {
  ASSERT_TRUE(local.put(chunk.id, chunk.bytes).ok());
  ASSERT_TRUE(local.corrupt_for_testing(chunk.id).ok());
  ASSERT_TRUE(peers.held.put(chunk.id, chunk.bytes).ok());
  auto got = chain()->get(chunk.id);
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  EXPECT_EQ(*got, chunk.bytes);
  EXPECT_FALSE(*local.contains(chunk.id));  // moved aside, never served again
  EXPECT_EQ(peers.fetches, 1);
}

TEST_F(ChunkSourceTest, ACorruptCachedCopyIsQuarantinedThenFetchedAndCachedAgain) {
  ASSERT_TRUE(cache.put(chunk.id, chunk.bytes).ok());
  ASSERT_TRUE(cache.corrupt_for_testing(chunk.id).ok());
  ASSERT_TRUE(peers.held.put(chunk.id, chunk.bytes).ok());
  Bytes lent;
  Status read = chain()->with_sealed(chunk.id, [&lent](ByteView sealed) {
    lent.assign(sealed.begin(), sealed.end());
    return Status{};
  });
  ASSERT_TRUE(read.ok()) << read.error().to_string();
  EXPECT_EQ(lent, chunk.bytes);
  auto cached = cache.get(chunk.id);
  ASSERT_TRUE(cached.ok()) << cached.error().to_string();
  EXPECT_EQ(*cached, chunk.bytes);
}

TEST_F(ChunkSourceTest, ACorruptLocalCopyNobodyElseHoldsIsReportedCorrupt) {
  ASSERT_TRUE(local.put(chunk.id, chunk.bytes).ok());
  ASSERT_TRUE(local.corrupt_for_testing(chunk.id).ok());
  auto got = chain()->get(chunk.id);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, Errc::corrupt);
}

TEST_F(ChunkSourceTest, AChunkNobodyHoldsIsNotFound) {
  auto got = chain()->get(chunk.id);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, Errc::not_found);
}

TEST_F(ChunkSourceTest, AnUnreachableNetworkIsReportedAsSuch) {
  auto source = make_chunk_source(ChunkChain{&local, &cache, [](const ChunkId&) -> Result<Bytes> {
                                               return make_error(Errc::unavailable, "no replica reachable");
                                             }});
  auto got = source->get(chunk.id);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, Errc::unavailable);
}

TEST_F(ChunkSourceTest, ContainsSaysWhatThisPeerHoldsWithoutAskingThePeers) {
  ASSERT_TRUE(peers.held.put(chunk.id, chunk.bytes).ok());
  auto source = chain();
  EXPECT_FALSE(*source->contains(chunk.id));
  ASSERT_TRUE(cache.put(chunk.id, chunk.bytes).ok());
  EXPECT_TRUE(*source->contains(chunk.id));
  EXPECT_EQ(peers.fetches, 0);
}

TEST_F(ChunkSourceTest, AnErrorOfTheBorrowerEndsTheReadWithoutAskingFurther) {
  ASSERT_TRUE(local.put(chunk.id, chunk.bytes).ok());
  ASSERT_TRUE(peers.held.put(chunk.id, chunk.bytes).ok());
  Status read = chain()->with_sealed(chunk.id, [](ByteView) { return Status(make_error(Errc::corrupt, "bad key")); });
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().message, "bad key");
  EXPECT_EQ(peers.fetches, 0);
}

TEST_F(ChunkSourceTest, WritesGoToTheLocalStoreOnly) {
  auto source = chain();
  ASSERT_TRUE(source->put(chunk.id, chunk.bytes).ok());
  EXPECT_TRUE(*local.contains(chunk.id));
  EXPECT_FALSE(*cache.contains(chunk.id));
  ASSERT_TRUE(source->remove(chunk.id).ok());
  EXPECT_FALSE(*local.contains(chunk.id));
}

TEST_F(ChunkSourceTest, WithoutPeersOrCacheTheChainIsTheLocalStore) {
  auto source = make_chunk_source(ChunkChain{&local, nullptr, {}});
  auto got = source->get(chunk.id);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, Errc::not_found);
  ASSERT_TRUE(local.put(chunk.id, chunk.bytes).ok());
  EXPECT_TRUE(source->get(chunk.id).ok());
}

}  // namespace
}  // namespace dfs::store
