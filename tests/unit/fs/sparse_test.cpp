// Sparse files in the core: holes are hole runs in the manifest (nothing
// sealed, stored or sent), read as zeros, made by extension and by
// fallocate's PUNCH_HOLE/ZERO_RANGE, and found by SEEK_DATA/SEEK_HOLE.
#include <fcntl.h>
#include <linux/falloc.h>

#include "file_content.hpp"
#include "fs_test_util.hpp"

namespace dfs::fs {
namespace {

using testing::kCaller;
using testing::Peer;
using testing::put_file;
using testing::random_bytes;
using testing::read_all;

constexpr std::uint64_t kMiB = 1 << 20;
constexpr std::uint64_t kTiB = std::uint64_t{1} << 40;

class FsSparse : public ::testing::Test {
 protected:
  FileSystem& fs() { return peer.fs(); }

  // The committed version of `ino`, as its File ID opens it.
  Manifest committed(Ino ino) {
    auto id = fs().file_id(ino);
    EXPECT_TRUE(id.ok()) << id.error().to_string();
    auto fetch = [this](const ChunkId& chunk) { return peer.store().get(chunk); };
    auto manifest = load_manifest(id->key, id->manifest, fetch);
    EXPECT_TRUE(manifest.ok()) << manifest.error().to_string();
    return manifest.ok() ? *manifest : Manifest{};
  }

  // An open read-write file: `data` at each offset of `pieces`.
  FileHandle file_with(const std::string& name, const std::vector<std::pair<std::uint64_t, Bytes>>& pieces) {
    auto created = fs().create(kCaller, kRootIno, name, 0644, O_RDWR);
    EXPECT_TRUE(created.ok());
    ino = created->first.ino;
    for (const auto& [offset, data] : pieces) EXPECT_TRUE(fs().write(created->second, offset, data).ok());
    return created->second;
  }

  Bytes read_at(FileHandle fh, std::uint64_t offset, std::size_t n) {
    Bytes out(n, 0xee);
    auto got = fs().read(fh, offset, out);
    EXPECT_TRUE(got.ok());
    out.resize(got.ok() ? *got : 0);
    return out;
  }

  Peer peer;
  Ino ino = 0;
};

TEST_F(FsSparse, ATerabyteTruncateStoresOneSmallManifestAndReadsZeros) {
  const Ino file = put_file(fs(), kRootIno, "f", Bytes{});
  const std::uint64_t before = peer.store().usage().bytes;
  SetAttr grow;
  grow.size = kTiB;
  ASSERT_OK(fs().setattr(kCaller, file, grow, std::nullopt));
  EXPECT_EQ(fs().getattr(file)->size, kTiB);
  EXPECT_LT(peer.store().usage().bytes - before, 4096u) << "one manifest, no zero chunks";
  EXPECT_LT(fs().getattr(file)->blocks, 16u) << "st_blocks counts what is stored";
  const Manifest manifest = committed(file);
  EXPECT_EQ(manifest.chunk_count(), kTiB / kMiB);
  EXPECT_TRUE(manifest.stored_ids().empty());
  auto fh = fs().open(file, O_RDONLY);
  ASSERT_OK(fh);
  EXPECT_EQ(read_at(*fh, kTiB - 10, 100), Bytes(10, 0));
  EXPECT_EQ(read_at(*fh, 0, 2), Bytes(2, 0));
  ASSERT_OK(fs().release(*fh));
}

TEST_F(FsSparse, AWriteFarPastTheEndLeavesAHoleRunNotZeroChunks) {
  const FileHandle fh = file_with("f", {{0, Bytes{'a'}}, {100 * kMiB, Bytes{'b'}}});
  EXPECT_EQ(read_at(fh, 50 * kMiB, 4), Bytes(4, 0)) << "before the commit";
  ASSERT_OK(fs().release(fh));
  const Manifest manifest = committed(ino);
  ASSERT_EQ(manifest.entries().size(), 3u);
  EXPECT_EQ(manifest.entries()[1].holes, 99u);
  EXPECT_EQ(manifest.stored_ids().size(), 2u);
  peer.reopen();
  Bytes expected(100 * kMiB + 1, 0);
  expected.front() = 'a';
  expected.back() = 'b';
  EXPECT_TRUE(read_all(fs(), ino) == expected);
}

TEST_F(FsSparse, APunchedHoleDropsWholeChunksAndZerosTheEdges) {
  const Bytes data = random_bytes(4 * kMiB, 7);
  const FileHandle fh = file_with("f", {{0, data}});
  ASSERT_OK(fs().release(fh));
  auto again = fs().open(ino, O_RDWR);
  ASSERT_OK(again);
  ASSERT_OK(fs().fallocate(*again, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, kMiB / 2, 2 * kMiB + kMiB / 2 + 10));
  EXPECT_EQ(fs().getattr(ino)->size, 4 * kMiB);
  ASSERT_OK(fs().release(*again));
  Bytes expected = data;
  std::fill(expected.begin() + kMiB / 2, expected.begin() + 3 * kMiB + 10, 0);
  EXPECT_TRUE(read_all(fs(), ino) == expected);
  const Manifest manifest = committed(ino);
  EXPECT_EQ(manifest.chunk(1), nullptr);
  EXPECT_EQ(manifest.chunk(2), nullptr);
  EXPECT_EQ(manifest.stored_ids().size(), 2u);
  EXPECT_LE(fs().getattr(ino)->blocks, 2 * kMiB / 512);
}

// Chunks write-behind already sealed and stored for the punched range are
// named by no version: their space comes back at once, not at the next GC.
TEST_F(FsSparse, PunchingUncommittedChunksFreesWhatWriteBehindStored) {
  const std::uint64_t before = peer.store().usage().chunks;
  const FileHandle fh = file_with("f", {{0, random_bytes(4 * kMiB, 9)}});
  ASSERT_OK(fs().fallocate(fh, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, kMiB, 2 * kMiB));
  ASSERT_OK(fs().release(fh));
  const Manifest manifest = committed(ino);
  ASSERT_EQ(manifest.stored_ids().size(), 2u);
  EXPECT_EQ(peer.store().usage().chunks - before, 3u) << "two data chunks and the manifest, nothing punched";
}

TEST_F(FsSparse, ZeroRangeMakesHolesAndMayGrowTheFile) {
  const FileHandle fh = file_with("f", {{0, random_bytes(2 * kMiB, 8)}});
  ASSERT_OK(fs().fallocate(fh, FALLOC_FL_ZERO_RANGE, kMiB, 3 * kMiB));
  EXPECT_EQ(fs().getattr(ino)->size, 4 * kMiB);
  ASSERT_OK(fs().release(fh));
  const Manifest manifest = committed(ino);
  EXPECT_EQ(manifest.stored_ids().size(), 1u);
  EXPECT_EQ(manifest.chunk_count(), 4u);
}

TEST_F(FsSparse, SeekDataAndHoleFollowTheChunksThatHoldData) {
  const std::uint64_t size = 6 * kMiB + 100;
  const FileHandle fh = file_with("f", {{0, Bytes(kMiB, 'a')}, {4 * kMiB, Bytes(kMiB, 'b')}});
  ASSERT_OK(fs().fallocate(fh, 0, 0, size));  // a trailing hole
  for (int pass = 0; pass < 2; ++pass) {
    SCOPED_TRACE(pass == 0 ? "open, before the commit" : "committed");
    EXPECT_EQ(*fs().seek_data(fh, 10, false), 10u);
    EXPECT_EQ(*fs().seek_data(fh, 10, true), kMiB);
    EXPECT_EQ(*fs().seek_data(fh, kMiB + 5, false), 4 * kMiB);
    EXPECT_EQ(*fs().seek_data(fh, kMiB + 5, true), kMiB + 5);
    EXPECT_EQ(*fs().seek_data(fh, 4 * kMiB, true), 5 * kMiB);
    EXPECT_ERRC(fs().seek_data(fh, 5 * kMiB, false), Errc::not_found);  // only a hole after
    EXPECT_ERRC(fs().seek_data(fh, size, true), Errc::not_found);
    ASSERT_OK(fs().fsync(fh, false));
  }
  ASSERT_OK(fs().release(fh));
}

TEST_F(FsSparse, ExtensionsAreBoundedOnlyByTheLargestFileSize) {
  const Ino file = put_file(fs(), kRootIno, "f", Bytes{'x'});
  const std::uint64_t before = peer.store().usage().bytes;
  SetAttr huge;
  huge.size = kMaxFileSize;
  ASSERT_OK(fs().setattr(kCaller, file, huge, std::nullopt));
  huge.size = kMaxFileSize + 1;
  EXPECT_ERRC(fs().setattr(kCaller, file, huge, std::nullopt), Errc::too_large);
  auto fh = fs().open(file, O_WRONLY);
  ASSERT_OK(fh);
  ASSERT_OK(fs().write(*fh, kTiB, Bytes{'y'}));
  EXPECT_ERRC(fs().write(*fh, kMaxFileSize, Bytes{'y'}), Errc::too_large);
  EXPECT_ERRC(fs().fallocate(*fh, 0, 0, kMaxFileSize + 1), Errc::too_large);
  ASSERT_OK(fs().release(*fh));
  EXPECT_EQ(fs().getattr(file)->size, kMaxFileSize);
  // Chunks but the last are whole: the two written bytes cost a chunk each.
  EXPECT_LT(peer.store().usage().bytes - before, 3 * kMiB) << "zeros were stored";
  EXPECT_EQ(fs().getattr(file)->blocks, 2 * kMiB / 512);
}

}  // namespace
}  // namespace dfs::fs
