// Behaviour only the on-disk store has: its layout, crash leftovers,
// quarantine, reopening, and a disk that really fills up.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/mount.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include "../../common/chunk_on_disk.hpp"
#include "../../common/eventually.hpp"
#include "dfs/store/disk_chunk_store.hpp"
#include "store_test_util.hpp"

namespace dfs::store {
namespace {

namespace fs = std::filesystem;
using testing::count_entries;
using testing::make_chunk;
using testing::TempDir;
using testing::TestChunk;

class DiskChunkStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(dir_.ok()) << "cannot create a temp dir"; }

  std::unique_ptr<DiskChunkStore> open(DiskStoreOptions options = {}) {
    auto store = DiskChunkStore::open(dir_.path(), options);
    EXPECT_TRUE(store.ok()) << store.error().to_string();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  void write_file(const std::string& path, std::string_view content) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << content;
  }

  TempDir dir_;
};

TEST_F(DiskChunkStoreTest, LargeChunksAreStoredAsFilesFannedOutByTheirFirstByte) {
  auto store = open();
  const TestChunk chunk = make_chunk(ChunkPack::kMaxPackedChunkSize + 1, 1);
  ASSERT_TRUE(store->put(chunk.id, chunk.bytes).ok());
  const std::string hex = chunk.id.hex();
  const std::string path = dir_.path() + "/chunks/" + hex.substr(0, 2) + "/" + hex;
  EXPECT_EQ(store->chunk_path(chunk.id), path);
  EXPECT_EQ(fs::file_size(path), ChunkPack::kMaxPackedChunkSize + 1);
  EXPECT_EQ(count_entries(store->tmp_dir()), 0u);
  EXPECT_FALSE(store->locate(chunk.id)->packed);
}

TEST_F(DiskChunkStoreTest, SmallChunksArePackedAndCostNoFileOfTheirOwn) {
  auto store = open();
  const TestChunk alone = make_chunk(ChunkPack::kMaxPackedChunkSize, 2);
  const TestChunk batched = make_chunk(4125, 3);
  ASSERT_TRUE(store->put(alone.id, alone.bytes).ok());
  auto batch = store->begin_batch();
  ASSERT_TRUE(batch->put(batched.id, batched.bytes).ok());
  ASSERT_TRUE(batch->commit_unsynced().ok());
  for (const TestChunk* chunk : {&alone, &batched}) {
    EXPECT_FALSE(fs::exists(store->chunk_path(chunk->id)));
    auto where = store->locate(chunk->id);
    ASSERT_TRUE(where.ok());
    EXPECT_TRUE(where->packed);
    EXPECT_EQ(store->get(chunk->id).value(), chunk->bytes);
  }
  EXPECT_EQ(count_entries(store->tmp_dir()), 0u);
  EXPECT_EQ(store->usage().chunks, 2u);
  EXPECT_EQ(store->usage().bytes, alone.bytes.size() + batched.bytes.size());
  auto listed = DiskChunkStore::list_on_disk(dir_.path());
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 2u);
}

TEST_F(DiskChunkStoreTest, PackedChunksAndTheirUsageSurviveReopening) {
  const TestChunk kept = make_chunk(3000, 4);
  const TestChunk removed = make_chunk(2000, 5);
  {
    auto store = open();
    ASSERT_TRUE(store->put(kept.id, kept.bytes).ok());
    ASSERT_TRUE(store->put(removed.id, removed.bytes).ok());
    ASSERT_TRUE(store->remove(removed.id).ok());
  }
  auto store = open();
  EXPECT_EQ(store->get(kept.id).value(), kept.bytes);
  EXPECT_EQ(store->get(removed.id).error().code, Errc::not_found);
  EXPECT_EQ(store->usage().chunks, 1u);
  EXPECT_EQ(store->usage().bytes, kept.bytes.size());
}

// A file stored before small chunks were packed (or by hand) still counts.
TEST_F(DiskChunkStoreTest, ASmallChunkInAFileOfItsOwnIsStillServedAndNotPackedTwice) {
  const TestChunk chunk = make_chunk(1000, 6);
  const std::string hex = chunk.id.hex();
  write_file(dir_.path() + "/chunks/" + hex.substr(0, 2) + "/" + hex,
             std::string_view(reinterpret_cast<const char*>(chunk.bytes.data()), chunk.bytes.size()));
  auto store = open();
  EXPECT_EQ(store->get(chunk.id).value(), chunk.bytes);
  ASSERT_TRUE(store->put(chunk.id, chunk.bytes).ok());
  EXPECT_FALSE(store->locate(chunk.id)->packed);
  EXPECT_EQ(store->usage().chunks, 1u);
}

// The same for a small chunk's file moved in from another store: put does
// not pack a second copy of it.
TEST_F(DiskChunkStoreTest, ASmallChunkFileMovedInIsNotPackedTwice) {
  const TestChunk chunk = make_chunk(1000, 7);
  const std::string hex = chunk.id.hex();
  write_file(dir_.path() + "/store/chunks/" + hex.substr(0, 2) + "/" + hex,
             std::string_view(reinterpret_cast<const char*>(chunk.bytes.data()), chunk.bytes.size()));
  auto source = DiskChunkStore::open(dir_.path() + "/store", {}).value();
  auto dest = DiskChunkStore::open(dir_.path() + "/cache", {}).value();
  ASSERT_TRUE(dest->move_from(*source, chunk.id).value());
  ASSERT_TRUE(dest->put(chunk.id, chunk.bytes).ok());
  EXPECT_FALSE(dest->locate(chunk.id)->packed);
  EXPECT_EQ(dest->usage().chunks, 1u);
  EXPECT_EQ(dest->get(chunk.id).value(), chunk.bytes);
}

// Chunks are written with direct I/O, padded to the alignment and then
// truncated: every size must come back exactly, alone and in a batch.
TEST_F(DiskChunkStoreTest, ChunksOfSizesOffTheDirectIoAlignmentKeepTheirExactSize) {
  auto store = open();
  auto batch = store->begin_batch();
  std::vector<testing::TestChunk> chunks;
  std::uint32_t seed = 900;
  for (std::size_t size : {std::size_t{1}, std::size_t{4095}, std::size_t{4096}, std::size_t{4097},
                           std::size_t{(1u << 20) + 29}}) {
    chunks.push_back(testing::make_chunk(size, seed++));
    ASSERT_TRUE(store->put(chunks.back().id, chunks.back().bytes).ok());
    chunks.push_back(testing::make_chunk(size, seed++));
    ASSERT_TRUE(batch->put(chunks.back().id, chunks.back().bytes).ok());
  }
  ASSERT_TRUE(batch->commit().ok());
  for (const auto& c : chunks) {
    if (!store->locate(c.id)->packed) {
      EXPECT_EQ(std::filesystem::file_size(store->chunk_path(c.id)), c.bytes.size());
    }
    auto got = store->get(c.id);
    ASSERT_TRUE(got.ok()) << got.error().to_string();
    EXPECT_EQ(*got, c.bytes);
  }
}

TEST_F(DiskChunkStoreTest, ABatchDroppedWithoutCommitLeavesNoFileAndNoUsage) {
  auto store = open(DiskStoreOptions{.quota_bytes = 10'000, .durable = true});
  const TestChunk chunk = make_chunk(4000, 7);
  {
    auto batch = store->begin_batch();
    ASSERT_TRUE(batch->put(chunk.id, chunk.bytes).ok());
    EXPECT_FALSE(store->contains(chunk.id).value()) << "not visible before commit";
    // Its space is reserved while the batch lives.
    EXPECT_EQ(store->put(make_chunk(7000, 8).id, make_chunk(7000, 8).bytes).error().code, Errc::no_space);
  }
  EXPECT_FALSE(store->contains(chunk.id).value());
  EXPECT_EQ(store->usage().bytes, 0u);
  EXPECT_TRUE(fs::is_empty(store->tmp_dir()));
}

TEST_F(DiskChunkStoreTest, MoveFromRenamesTheChunkFileAndMovesItsUsage) {
  auto source = DiskChunkStore::open(dir_.path() + "/store", {}).value();
  auto dest = DiskChunkStore::open(dir_.path() + "/cache", {}).value();
  const TestChunk chunk = make_chunk(100'000, 1);
  ASSERT_TRUE(source->put(chunk.id, chunk.bytes).ok());
  struct stat before{};
  ASSERT_EQ(::stat(source->chunk_path(chunk.id).c_str(), &before), 0);
  auto moved = dest->move_from(*source, chunk.id);
  ASSERT_TRUE(moved.ok()) << moved.error().to_string();
  EXPECT_TRUE(*moved);
  struct stat after{};
  ASSERT_EQ(::stat(dest->chunk_path(chunk.id).c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino) << "the same file, renamed, not a copy";
  EXPECT_FALSE(fs::exists(source->chunk_path(chunk.id)));
  EXPECT_EQ(dest->get(chunk.id).value(), chunk.bytes);
  EXPECT_EQ(source->usage().chunks, 0u);
  EXPECT_EQ(source->usage().bytes, 0u);
  EXPECT_EQ(dest->usage().chunks, 1u);
  EXPECT_EQ(dest->usage().bytes, 100'000u);
  EXPECT_EQ(dest->move_from(*source, chunk.id).error().code, Errc::not_found);
}

TEST_F(DiskChunkStoreTest, MoveFromOfAPackedChunkPacksItHereAndRemovesItThere) {
  auto source = DiskChunkStore::open(dir_.path() + "/store", {}).value();
  auto dest = DiskChunkStore::open(dir_.path() + "/cache", {}).value();
  const TestChunk chunk = make_chunk(5000, 9);
  ASSERT_TRUE(source->put(chunk.id, chunk.bytes).ok());
  ASSERT_TRUE(dest->move_from(*source, chunk.id).value());
  EXPECT_TRUE(dest->locate(chunk.id)->packed);
  EXPECT_EQ(dest->get(chunk.id).value(), chunk.bytes);
  EXPECT_EQ(source->contains(chunk.id).value(), false);
  EXPECT_EQ(source->usage().chunks, 0u);
  EXPECT_EQ(dest->usage().bytes, 5000u);
}

TEST_F(DiskChunkStoreTest, MoveFromOfAChunkBothHoldDropsTheSourceCopy) {
  auto source = DiskChunkStore::open(dir_.path() + "/store", {}).value();
  auto dest = DiskChunkStore::open(dir_.path() + "/cache", {}).value();
  const TestChunk chunk = make_chunk(3000, 2);
  ASSERT_TRUE(source->put(chunk.id, chunk.bytes).ok());
  ASSERT_TRUE(dest->put(chunk.id, chunk.bytes).ok());
  ASSERT_TRUE(dest->move_from(*source, chunk.id).value());
  EXPECT_EQ(source->usage().chunks, 0u);
  EXPECT_EQ(dest->usage().chunks, 1u);
  EXPECT_EQ(dest->usage().bytes, 3000u);
}

TEST_F(DiskChunkStoreTest, MoveFromIntoAFullStoreLeavesTheChunkWhereItWas) {
  auto source = DiskChunkStore::open(dir_.path() + "/store", {}).value();
  auto dest = DiskChunkStore::open(dir_.path() + "/cache", DiskStoreOptions{.quota_bytes = 1000}).value();
  const TestChunk chunk = make_chunk(3000, 3);
  ASSERT_TRUE(source->put(chunk.id, chunk.bytes).ok());
  EXPECT_EQ(dest->move_from(*source, chunk.id).error().code, Errc::no_space);
  EXPECT_EQ(source->get(chunk.id).value(), chunk.bytes);
  EXPECT_EQ(source->usage().chunks, 1u);
  EXPECT_EQ(dest->usage().chunks, 0u);
}

TEST_F(DiskChunkStoreTest, APackedChunkFlippedOnDiskIsCopiedToQuarantineAndNeverServedAgain) {
  auto store = open();
  const TestChunk chunk = make_chunk(4096, 1);
  ASSERT_TRUE(store->put(chunk.id, chunk.bytes).ok());
  ASSERT_TRUE(dfs::testing::flip_chunk_byte(store->locate(chunk.id).value(), 100));
  ASSERT_EQ(store->get(chunk.id).error().code, Errc::corrupt);
  ASSERT_EQ(count_entries(store->quarantine_dir()), 1u);
  const fs::path kept = fs::directory_iterator(store->quarantine_dir())->path();
  EXPECT_TRUE(kept.filename().string().starts_with(chunk.id.hex()));
  EXPECT_EQ(fs::file_size(kept), 4096u);
  EXPECT_EQ(store->get(chunk.id).error().code, Errc::not_found);
  EXPECT_EQ(store->usage().chunks, 0u);
  // Still gone after reopening: the pack recorded the removal.
  store.reset();
  store = open();
  EXPECT_EQ(store->get(chunk.id).error().code, Errc::not_found);
}

TEST_F(DiskChunkStoreTest, AChunkFlippedOnDiskIsMovedToQuarantineAndNeverServedAgain) {
  auto store = open();
  const TestChunk chunk = make_chunk(100'000, 1);
  ASSERT_TRUE(store->put(chunk.id, chunk.bytes).ok());
  {
    std::fstream file(store->chunk_path(chunk.id), std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(100);
    file.put(static_cast<char>(chunk.bytes[100] ^ 0x80));
  }
  ASSERT_EQ(store->get(chunk.id).error().code, Errc::corrupt);
  EXPECT_FALSE(fs::exists(store->chunk_path(chunk.id)));
  ASSERT_EQ(count_entries(store->quarantine_dir()), 1u);
  const fs::path moved = fs::directory_iterator(store->quarantine_dir())->path();
  EXPECT_TRUE(moved.filename().string().starts_with(chunk.id.hex()));
  EXPECT_EQ(fs::file_size(moved), 100'000u);
  EXPECT_EQ(store->get(chunk.id).error().code, Errc::not_found);
}

// with_sealed reads large chunks around the page cache in aligned pieces
// and the unaligned end through it: a flip in either part must be caught.
TEST_F(DiskChunkStoreTest, AFlipInTheDirectlyReadHeadOrInTheTailOfALargeChunkIsCaughtByWithSealed) {
  auto store = open();
  const std::size_t size = (4u << 20) + 29;
  std::uint32_t seed = 70;
  for (std::size_t at : {std::size_t{0}, std::size_t{3u << 20}, size - 1}) {
    const TestChunk chunk = make_chunk(size, seed++);
    ASSERT_TRUE(store->put(chunk.id, chunk.bytes).ok());
    {
      std::fstream file(store->chunk_path(chunk.id), std::ios::in | std::ios::out | std::ios::binary);
      file.seekp(static_cast<std::streamoff>(at));
      file.put(static_cast<char>(chunk.bytes[at] ^ 0x01));
    }
    bool lent = false;
    const Status read = store->with_sealed(chunk.id, [&lent](ByteView) {
      lent = true;
      return Status{};
    });
    ASSERT_FALSE(read.ok()) << "a flip at byte " << at;
    EXPECT_EQ(read.error().code, Errc::corrupt);
    EXPECT_FALSE(lent);
    EXPECT_FALSE(fs::exists(store->chunk_path(chunk.id)));
  }
}

TEST_F(DiskChunkStoreTest, AChunkServedToPeersComesBackAsStored) {
  auto store = open();
  const TestChunk chunk = make_chunk(70'000, 4);
  ASSERT_TRUE(store->put(chunk.id, chunk.bytes).ok());
  EXPECT_EQ(store->get_for_peer(chunk.id).value(), chunk.bytes);
  EXPECT_EQ(store->get_for_peer(chunk.id).value(), chunk.bytes);
  EXPECT_EQ(store->get_for_peer(make_chunk(10, 5).id).error().code, Errc::not_found);
}

// get_for_peer reads large chunks into a per-thread scratch and hands out
// a copy: an answer must not change when the next read reuses the scratch.
TEST_F(DiskChunkStoreTest, ChunksServedToPeersInTurnEachKeepTheirOwnBytes) {
  auto store = open();
  const TestChunk large = make_chunk(1 << 20, 7);
  const TestChunk other = make_chunk((1 << 20) - 29, 8);
  const TestChunk small = make_chunk(1000, 9);  // below the direct-read size: through the page cache
  for (const TestChunk* c : {&large, &other, &small}) ASSERT_TRUE(store->put(c->id, c->bytes).ok());
  const Bytes first = store->get_for_peer(large.id).value();
  EXPECT_EQ(store->get_for_peer(other.id).value(), other.bytes);
  EXPECT_EQ(store->get_for_peer(small.id).value(), small.bytes);
  EXPECT_EQ(first, large.bytes);
}

// A write to the file after the store checked it changes its ctime: the
// chunk is hashed again before it is served, found bad and quarantined.
TEST_F(DiskChunkStoreTest, AChunkChangedOnDiskSinceItWasCheckedIsNeverServedToPeers) {
  auto store = open();
  const TestChunk chunk = make_chunk(70'000, 6);
  ASSERT_TRUE(store->put(chunk.id, chunk.bytes).ok());
  ASSERT_TRUE(store->get_for_peer(chunk.id).ok());
  // Past the clock tick of the put, for kernels with coarse timestamps
  // (the limit disk_chunk_store.cpp explains): the write below then moves
  // the file's ctime.
  struct stat put_at {};
  ASSERT_EQ(::stat(store->chunk_path(chunk.id).c_str(), &put_at), 0);
  ASSERT_TRUE(dfs::testing::eventually([&] {
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME_COARSE, &now);
    return now.tv_sec > put_at.st_ctim.tv_sec ||
           (now.tv_sec == put_at.st_ctim.tv_sec && now.tv_nsec > put_at.st_ctim.tv_nsec);
  }));
  {
    std::fstream file(store->chunk_path(chunk.id), std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(100);
    file.put(static_cast<char>(chunk.bytes[100] ^ 0x80));
  }
  EXPECT_EQ(store->get_for_peer(chunk.id).error().code, Errc::corrupt);
  EXPECT_EQ(count_entries(store->quarantine_dir()), 1u);
  EXPECT_EQ(store->get_for_peer(chunk.id).error().code, Errc::not_found);
}

TEST_F(DiskChunkStoreTest, AFileLargerThanAnyChunkIsRefusedAsCorruptWithoutBeingRead) {
  const TestChunk chunk = make_chunk(10, 1);
  const std::string hex = chunk.id.hex();
  const std::string path = dir_.path() + "/chunks/" + hex.substr(0, 2) + "/" + hex;
  fs::create_directories(fs::path(path).parent_path());
  {
    // Sparse, so the test costs no disk space.
    auto fd = open_file(path, O_WRONLY | O_CREAT, 0600);
    ASSERT_TRUE(fd.ok());
    ASSERT_EQ(::ftruncate(fd->get(), static_cast<off_t>(kMaxSealedChunkSize + 1)), 0);
  }
  auto store = open();
  ASSERT_EQ(store->usage().chunks, 1u);
  ASSERT_EQ(store->get(chunk.id).error().code, Errc::corrupt);
  EXPECT_FALSE(fs::exists(path));
  EXPECT_EQ(count_entries(store->quarantine_dir()), 1u);
  EXPECT_EQ(store->usage().bytes, 0u);
  EXPECT_EQ(store->usage().chunks, 0u);
}

TEST_F(DiskChunkStoreTest, LeftoverTempFilesAreRemovedOnOpenAndDoNotCountInUsage) {
  // What a kill -9 in the middle of a put leaves behind.
  write_file(dir_.path() + "/tmp/" + make_chunk(10, 1).id.hex() + ".123-0", std::string(5000, 'x'));
  write_file(dir_.path() + "/tmp/other", "partial");
  auto store = open();
  EXPECT_EQ(count_entries(store->tmp_dir()), 0u);
  EXPECT_EQ(store->usage().bytes, 0u);
  EXPECT_EQ(store->usage().chunks, 0u);
}

TEST_F(DiskChunkStoreTest, ReopeningRecomputesUsageFromTheFilesOnDisk) {
  {
    auto store = open();
    for (std::uint32_t seed = 1; seed <= 5; ++seed) {
      const TestChunk chunk = make_chunk(seed * 1000, seed);
      ASSERT_TRUE(store->put(chunk.id, chunk.bytes).ok());
    }
    ASSERT_TRUE(store->remove(make_chunk(2000, 2).id).ok());
  }
  auto store = open(DiskStoreOptions{.quota_bytes = 50'000});
  const Usage usage = store->usage();
  EXPECT_EQ(usage.bytes, 13'000u);
  EXPECT_EQ(usage.chunks, 4u);
  EXPECT_EQ(usage.quota_bytes, 50'000u);
  EXPECT_EQ(store->list()->size(), 4u);
  EXPECT_TRUE(store->get(make_chunk(5000, 5).id).ok());
}

TEST_F(DiskChunkStoreTest, AQuotaBelowTheUsageFoundAtOpenRefusesNewPutsButKeepsTheChunks) {
  const TestChunk stored = make_chunk(8000, 1);
  ASSERT_TRUE(open()->put(stored.id, stored.bytes).ok());
  auto store = open(DiskStoreOptions{.quota_bytes = 5000});
  EXPECT_TRUE(store->get(stored.id).ok());
  const TestChunk small = make_chunk(10, 2);
  EXPECT_EQ(store->put(small.id, small.bytes).error().code, Errc::no_space);
  ASSERT_TRUE(store->remove(stored.id).ok());
  EXPECT_TRUE(store->put(small.id, small.bytes).ok());
}

TEST_F(DiskChunkStoreTest, StrayFilesUnderChunksAreNeitherListedNorCounted) {
  const TestChunk chunk = make_chunk(10, 1);
  const std::string hex = chunk.id.hex();
  write_file(dir_.path() + "/chunks/README", "not a chunk");
  write_file(dir_.path() + "/chunks/" + hex.substr(0, 2) + "/notes.txt", "not a chunk");
  // The right name in the wrong fan-out directory could never be found by ID.
  const std::string wrong_fanout = hex.substr(0, 2) == "00" ? "01" : "00";
  write_file(dir_.path() + "/chunks/" + wrong_fanout + "/" + hex, "misplaced");
  auto store = open();
  EXPECT_EQ(store->usage().chunks, 0u);
  EXPECT_TRUE(store->list()->empty());
}

TEST_F(DiskChunkStoreTest, ASecondOpenOfTheSameDirectoryIsRefusedWhileTheFirstIsOpen) {
  auto first = open();
  auto second = DiskChunkStore::open(dir_.path(), {});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, Errc::unavailable);
  first.reset();
  EXPECT_TRUE(DiskChunkStore::open(dir_.path(), {}).ok());
}

// A tmpfs of 2 MiB mounted for the test, so that ENOSPC is a real one.
class DiskChunkStoreOnFullDiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok()) << "cannot create a temp dir";
    mount_point_ = dir_.path() + "/mnt";
    fs::create_directory(mount_point_);
    ASSERT_EQ(::mount("tmpfs", mount_point_.c_str(), "tmpfs", 0, "size=2m"), 0)
        << "cannot mount a 2 MiB tmpfs on " << mount_point_ << " (this test needs root): " << std::strerror(errno);
    mounted_ = true;
  }
  void TearDown() override {
    store_.reset();  // close the lock file before unmounting
    if (mounted_ && ::umount2(mount_point_.c_str(), 0) != 0) {
      ADD_FAILURE() << "cannot unmount " << mount_point_ << ": " << std::strerror(errno);
      ::umount2(mount_point_.c_str(), MNT_DETACH);
    }
  }

  TempDir dir_;
  std::string mount_point_;
  bool mounted_ = false;
  std::unique_ptr<DiskChunkStore> store_;
};

TEST_F(DiskChunkStoreOnFullDiskTest, APutThatFillsTheDiskFailsWithNoSpaceAndLeavesNoTempFile) {
  auto opened = DiskChunkStore::open(mount_point_ + "/store", {});
  ASSERT_TRUE(opened.ok()) << opened.error().to_string();
  store_ = std::move(opened).value();
  const TestChunk fits = make_chunk(1 << 20, 1);
  const TestChunk too_big = make_chunk(3 << 19, 2);  // 1.5 MiB: more than is left
  ASSERT_TRUE(store_->put(fits.id, fits.bytes).ok());

  const Status status = store_->put(too_big.id, too_big.bytes);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Errc::no_space) << status.error().to_string();
  EXPECT_EQ(count_entries(store_->tmp_dir()), 0u);
  EXPECT_FALSE(*store_->contains(too_big.id));
  EXPECT_EQ(store_->usage().bytes, std::uint64_t{1} << 20);
  EXPECT_EQ(store_->usage().chunks, 1u);
  // The space of the failed write was given back, and what was stored is intact.
  const TestChunk small = make_chunk(1 << 19, 3);
  EXPECT_TRUE(store_->put(small.id, small.bytes).ok());
  EXPECT_TRUE(store_->get(fits.id).ok());
}

}  // namespace
}  // namespace dfs::store
