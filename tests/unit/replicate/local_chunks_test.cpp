// LocalChunks over two memory stores: the served store first, the owned
// one as the fallback, moving a chunk into service, and one sorted list.
#include "dfs/replicate/local_chunks.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "dfs/store/memory_chunk_store.hpp"

namespace dfs::replicate {
namespace {

class LocalChunksTest : public ::testing::Test {
 protected:
  ChunkId add(store::MemoryChunkStore& to, std::uint8_t fill) {
    const Bytes sealed(64, fill);
    const ChunkId id = ChunkId::of(sealed);
    EXPECT_TRUE(to.put(id, sealed).ok());
    return id;
  }

  store::MemoryChunkStore served;
  store::MemoryChunkStore owned;
  LocalChunks local{served, &owned, {}};
};

TEST_F(LocalChunksTest, GetReadsTheServedStoreElseTheOwnedOne) {
  const ChunkId in_served = add(served, 1);
  const ChunkId in_owned = add(owned, 2);
  EXPECT_TRUE(local.get(in_served).ok());
  EXPECT_TRUE(local.get(in_owned).ok());
  const Result<Bytes> none = local.get(ChunkId::of(as_bytes("none")));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, Errc::not_found);
}

TEST_F(LocalChunksTest, ACorruptServedCopyIsSkippedForTheOwnedOne) {
  const ChunkId id = add(served, 3);
  ASSERT_TRUE(owned.put(id, Bytes(64, 3)).ok());
  ASSERT_TRUE(served.corrupt_for_testing(id).ok());
  const Result<Bytes> got = local.get(id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(ChunkId::of(*got), id);
}

TEST_F(LocalChunksTest, ServeMovesAnOwnedChunkIntoTheServedStore) {
  const ChunkId id = add(owned, 4);
  ASSERT_TRUE(local.serve(id).ok());
  EXPECT_TRUE(*served.contains(id));
  EXPECT_FALSE(*owned.contains(id));
  // Neither holding it (GC took it) is not an error.
  EXPECT_TRUE(local.serve(ChunkId::of(as_bytes("collected"))).ok());
}

TEST_F(LocalChunksTest, ListHasEveryChunkOfBothOnceInIdOrder) {
  const ChunkId a = add(served, 5);
  const ChunkId b = add(owned, 6);
  const ChunkId both = add(served, 7);
  ASSERT_TRUE(owned.put(both, Bytes(64, 7)).ok());
  const Result<std::vector<ChunkId>> all = local.list();
  ASSERT_TRUE(all.ok());
  std::vector<ChunkId> expected{a, b, both};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(*all, expected);
}

}  // namespace
}  // namespace dfs::replicate
