// Grouped durability (open_filesystem.hpp): a close does not sync; the
// commit interval, fsync and sync_all do; recovery after a power loss
// rolls back a version whose chunks did not reach the disk. A power loss
// is an image of the data directory copied while the peer runs, with the
// chunks the disk "lost" deleted from it.
#include <filesystem>

#include "../../common/chunk_on_disk.hpp"
#include "fs_test_util.hpp"

namespace dfs::fs {
namespace {

using testing::Peer;
using testing::put_file;
using testing::random_bytes;
using testing::read_all;

constexpr std::size_t kMiB = 1024 * 1024;

// No flusher round during a test: only what the test asks is synced.
FsOptions never_flushed() {
  FsOptions options;
  options.commit_interval = std::chrono::hours(1);
  return options;
}

void overwrite(FileSystem& fs, Ino ino, ByteView content) {
  auto fh = fs.open(ino, O_WRONLY | O_TRUNC);
  ASSERT_OK(fh);
  ASSERT_OK(fs.write(*fh, 0, content));
  ASSERT_OK(fs.release(*fh));
}

// An image of `peer`'s directory as a power loss leaves it: everything as
// the running peer wrote it, except `lost` chunks that never reached the disk.
Peer power_loss_image(Peer& peer, const std::vector<ChunkId>& lost) {
  return Peer(never_flushed(), peer.dir(), [&](const std::string& image) {
    for (const ChunkId& id : lost) {
      auto where = peer.store().locate(id);
      ASSERT_OK(where);
      where->path = image + where->path.substr(peer.dir().size());
      // A chunk file the loss took is gone; a packed chunk is a record the
      // loss left with the wrong bytes (the pack's length reached the disk).
      if (where->packed) ASSERT_TRUE(dfs::testing::flip_chunk_byte(*where, 0)) << where->path;
      else ASSERT_TRUE(std::filesystem::remove(where->path)) << where->path;
    }
  });
}

class FsDurability : public ::testing::Test {
 protected:
  void SetUp() override {
    ino_ = put_file(peer_.fs(), kRootIno, "f", first_);
    ASSERT_OK(peer_.fs().sync_all());
  }

  Peer peer_{never_flushed()};
  const Bytes first_ = random_bytes(2 * kMiB + 5, 1);
  const Bytes second_ = random_bytes(2 * kMiB + 7, 2);
  const Bytes third_ = random_bytes(kMiB + 9, 3);
  Ino ino_ = 0;
};

TEST_F(FsDurability, ACloseLeavesANoteUntilTheNextSync) {
  overwrite(peer_.fs(), ino_, second_);
  EXPECT_TRUE(peer_.index().has_unsynced_changes());
  auto notes = peer_.index().unsynced_versions();
  ASSERT_OK(notes);
  ASSERT_EQ(notes->size(), 1u);
  EXPECT_EQ(notes->front().ino, ino_);
  ASSERT_OK(peer_.fs().sync_all());
  EXPECT_FALSE(peer_.index().has_unsynced_changes());
  EXPECT_TRUE(peer_.index().unsynced_versions()->empty());
  EXPECT_EQ(read_all(peer_.fs(), ino_), second_);
}

TEST_F(FsDurability, AFsyncMakesTheFileDurable) {
  auto fh = peer_.fs().open(ino_, O_WRONLY | O_TRUNC);
  ASSERT_OK(fh);
  ASSERT_OK(peer_.fs().write(*fh, 0, second_));
  ASSERT_OK(peer_.fs().fsync(*fh, false));
  EXPECT_TRUE(peer_.index().unsynced_versions()->empty());
  ASSERT_OK(peer_.fs().release(*fh));
}

TEST_F(FsDurability, APowerLossWithTheChunksOnDiskKeepsTheNewVersion) {
  overwrite(peer_.fs(), ino_, second_);
  Peer image = power_loss_image(peer_, {});
  EXPECT_EQ(read_all(image.fs(), ino_), second_);
  EXPECT_TRUE(image.index().unsynced_versions()->empty());  // recovery settled the note
  EXPECT_EQ(image.index().list_files()->size(), 1u);
}

TEST_F(FsDurability, APowerLossThatLostAChunkRollsTheFileBack) {
  overwrite(peer_.fs(), ino_, second_);
  const std::vector<ChunkId> second_chunks = testing::data_chunks(peer_, ino_);
  ASSERT_EQ(second_chunks.size(), 3u);
  Peer image = power_loss_image(peer_, {second_chunks[1]});
  EXPECT_EQ(read_all(image.fs(), ino_), first_);
  auto attr = image.fs().getattr(ino_);
  ASSERT_OK(attr);
  EXPECT_EQ(attr->size, first_.size());
  EXPECT_TRUE(image.index().unsynced_versions()->empty());
  EXPECT_EQ(image.index().list_files()->size(), 1u);  // only the first version is recorded
}

TEST_F(FsDurability, RecoveryGoesBackOneVersionAtATime) {
  overwrite(peer_.fs(), ino_, second_);
  const std::vector<ChunkId> second_chunks = testing::data_chunks(peer_, ino_);
  overwrite(peer_.fs(), ino_, third_);
  const std::vector<ChunkId> third_chunks = testing::data_chunks(peer_, ino_);
  EXPECT_EQ(peer_.index().unsynced_versions()->size(), 2u);
  EXPECT_EQ(peer_.index().list_files()->size(), 3u);  // both replaced versions kept
  {
    Peer image = power_loss_image(peer_, {third_chunks[0]});
    EXPECT_EQ(read_all(image.fs(), ino_), second_);
  }
  {
    Peer image = power_loss_image(peer_, {third_chunks[1], second_chunks[2]});
    EXPECT_EQ(read_all(image.fs(), ino_), first_);
  }
}

TEST_F(FsDurability, AFileCreatedAndLostInAPowerLossIsEmptyNotBroken) {
  const Bytes content = random_bytes(1000, 7);
  Ino created = put_file(peer_.fs(), kRootIno, "g", content);
  Peer image = power_loss_image(peer_, testing::data_chunks(peer_, created));
  auto attr = image.fs().getattr(created);
  ASSERT_OK(attr);
  EXPECT_EQ(attr->size, 0u);
  EXPECT_TRUE(read_all(image.fs(), created).empty());
}

TEST_F(FsDurability, SyncForgetsTheReplacedVersions) {
  overwrite(peer_.fs(), ino_, second_);
  overwrite(peer_.fs(), ino_, third_);
  ASSERT_OK(peer_.fs().sync_all());
  auto files = peer_.index().list_files();
  ASSERT_OK(files);
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ(files->front().manifest, *peer_.index().get_inode(ino_)->manifest);
}

TEST(FsDurabilityStrict, ACommitIntervalOfZeroSyncsEveryClose) {
  FsOptions options;
  options.commit_interval = std::chrono::milliseconds(0);
  Peer peer(options);
  put_file(peer.fs(), kRootIno, "f", random_bytes(1000, 4));
  EXPECT_FALSE(peer.index().has_unsynced_changes());
  EXPECT_TRUE(peer.index().unsynced_versions()->empty());
}

TEST(FsDurabilityStrict, ANamespaceChangeIsSyncedWithinASecond) {
  FsOptions options;
  options.commit_interval = std::chrono::milliseconds(0);
  Peer peer(options);
  ASSERT_OK(peer.fs().mkdir(testing::kCaller, kRootIno, "d", 0755));
  EXPECT_TRUE(peer.index().has_unsynced_changes());
  EXPECT_TRUE(testing::eventually([&] { return !peer.index().has_unsynced_changes(); }));
}

TEST(FsDurabilityFlusher, TheFlusherSyncsWithinTheInterval) {
  FsOptions options;
  options.commit_interval = std::chrono::milliseconds(20);
  Peer peer(options);
  put_file(peer.fs(), kRootIno, "f", random_bytes(1000, 5));
  EXPECT_TRUE(testing::eventually([&] { return !peer.index().has_unsynced_changes(); }));
  EXPECT_TRUE(peer.index().unsynced_versions()->empty());
}

}  // namespace
}  // namespace dfs::fs
