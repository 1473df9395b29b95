// InFlightChunks: what writers hold from GC, and GC's exclusive section.
#include "dfs/store/in_flight.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "../../common/eventually.hpp"
#include "dfs/store/memory_chunk_store.hpp"

namespace dfs::store {
namespace {

ChunkId id(std::uint8_t n) {
  ChunkId out;
  out.bytes[0] = n;
  return out;
}

bool held(const InFlightChunks& set, const ChunkId& chunk) { return set.exclude_writers().held(chunk); }

TEST(InFlightChunks, AChunkIsHeldUntilEveryHoldOfItIsReleased) {
  InFlightChunks set;
  InFlightChunks::Hold first = set.hold(), second = set.hold();
  first.add(id(1));
  second.add(id(1));
  first.release();
  EXPECT_TRUE(held(set, id(1)));
  second.release();
  EXPECT_FALSE(held(set, id(1)));
  EXPECT_EQ(set.size(), 0u);
}

TEST(InFlightChunks, AMovedHoldReleasesOnceAndAnEmptyHoldAddsNowhere) {
  InFlightChunks set;
  {
    InFlightChunks::Hold hold = set.hold();
    hold.add(id(2));
    InFlightChunks::Hold moved = std::move(hold);
    EXPECT_TRUE(held(set, id(2)));
  }
  EXPECT_FALSE(held(set, id(2)));
  InFlightChunks::Hold none;
  none.add(id(3));
  EXPECT_EQ(set.size(), 0u);
}

TEST(InFlightChunks, ATrackedBatchHoldsEachChunkBeforeItsPut) {
  InFlightChunks set;
  MemoryChunkStore store;
  InFlightChunks::Hold hold = set.hold();
  auto batch = InFlightChunks::tracked(store.begin_batch(), hold);
  const Bytes bytes{1, 2, 3};
  ASSERT_TRUE(batch->put(ChunkId::of(bytes), bytes).ok());
  ASSERT_TRUE(batch->commit().ok());
  EXPECT_TRUE(held(set, ChunkId::of(bytes)));
  EXPECT_TRUE(*store.contains(ChunkId::of(bytes)));
}

TEST(InFlightChunks, WritersWaitWhileGcIsExclusive) {
  InFlightChunks set;
  std::atomic<bool> added{false};
  std::thread writer;
  {
    auto exclusive = set.exclude_writers();
    writer = std::thread([&] {
      InFlightChunks::Hold hold = set.hold();
      hold.add(id(4));
      added = true;
    });
    // A negative can only be watched for a while: 50 ms, in which a writer
    // that did not wait would have added its chunk.
    EXPECT_FALSE(dfs::testing::eventually([&] { return added.load(); }, std::chrono::milliseconds(50)))
        << "a writer added a chunk while GC was deciding";
  }
  writer.join();
  EXPECT_TRUE(added);
}

}  // namespace
}  // namespace dfs::store
