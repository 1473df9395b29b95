// File content: write-back, commits, chunk reuse, holes, truncate, IDs.
#include <sys/stat.h>

#include <algorithm>
#include <set>

#include "fs_test_util.hpp"

namespace dfs::fs {
namespace {

using testing::data_chunks;
using testing::kCaller;
using testing::Peer;
using testing::put_file;
using testing::random_bytes;
using testing::read_all;

constexpr std::size_t kMiB = 1 << 20;

TEST(FsContent, WrittenBytesReadBackAfterRelease) {
  Peer peer;
  Bytes data = random_bytes(3 * kMiB + 12345, 1);
  Ino ino = put_file(peer.fs(), kRootIno, "f", data);
  EXPECT_EQ(read_all(peer.fs(), ino), data);
  EXPECT_EQ(peer.fs().getattr(ino)->size, data.size());
  EXPECT_EQ(data_chunks(peer, ino).size(), 4u);
}

TEST(FsContent, ContentSurvivesDestroyingTheFileSystem) {
  Peer peer;
  Bytes data = random_bytes(2 * kMiB + 1, 2);
  Ino ino = put_file(peer.fs(), kRootIno, "f", data);
  peer.reopen();
  EXPECT_EQ(read_all(peer.fs(), ino), data);
}

TEST(FsContent, UnflushedWritesAreVisibleToOtherHandlesAndGetattr) {
  Peer peer;
  auto created = peer.fs().create(kCaller, kRootIno, "f", 0644, O_RDWR);
  ASSERT_OK(created);
  auto [attr, fh] = *created;
  ASSERT_OK(peer.fs().write(fh, 0, as_bytes("hello")));
  EXPECT_EQ(peer.fs().getattr(attr.ino)->size, 5u);
  auto reader = peer.fs().open(attr.ino, O_RDONLY);
  ASSERT_OK(reader);
  Bytes buf(5);
  ASSERT_OK(peer.fs().read(*reader, 0, buf));
  EXPECT_EQ(std::string(buf.begin(), buf.end()), "hello");
  ASSERT_OK(peer.fs().release(*reader));
  ASSERT_OK(peer.fs().release(fh));
}

TEST(FsContent, TheIndexShowsOnlyCommittedContent) {
  Peer peer;
  Ino ino = put_file(peer.fs(), kRootIno, "f", as_bytes("old"));
  auto fh = peer.fs().open(ino, O_WRONLY);
  ASSERT_OK(fh);
  ASSERT_OK(peer.fs().write(*fh, 0, as_bytes("new!")));
  EXPECT_EQ(peer.index().get_inode(ino)->size, 3u);  // not yet committed
  ASSERT_OK(peer.fs().flush(*fh));
  EXPECT_EQ(peer.index().get_inode(ino)->size, 4u);
  ASSERT_OK(peer.fs().release(*fh));
}

TEST(FsContent, EditingOneByteReSealsExactlyOneChunk) {
  Peer peer;
  Bytes data = random_bytes(5 * kMiB, 3);
  Ino ino = put_file(peer.fs(), kRootIno, "f", data);
  std::vector<ChunkId> before = data_chunks(peer, ino);
  ASSERT_EQ(before.size(), 5u);
  const std::uint64_t chunks_before = peer.store().usage().chunks;
  auto fh = peer.fs().open(ino, O_RDWR);
  ASSERT_OK(fh);
  const std::uint8_t byte = static_cast<std::uint8_t>(data[2 * kMiB + 7] ^ 0xff);
  ASSERT_OK(peer.fs().write(*fh, 2 * kMiB + 7, ByteView(&byte, 1)));
  ASSERT_OK(peer.fs().release(*fh));
  std::vector<ChunkId> after = data_chunks(peer, ino);
  ASSERT_EQ(after.size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) {
    if (i == 2) {
      EXPECT_NE(after[i], before[i]);
    } else {
      EXPECT_EQ(after[i], before[i]) << "chunk " << i;
    }
  }
  // One new data chunk and one new manifest were stored.
  EXPECT_EQ(peer.store().usage().chunks, chunks_before + 2);
  data[2 * kMiB + 7] = byte;
  EXPECT_EQ(read_all(peer.fs(), ino), data);
}

TEST(FsContent, TheFileIdChangesWithTheContentOnly) {
  Peer peer;
  Ino ino = put_file(peer.fs(), kRootIno, "f", as_bytes("version 1"));
  auto first = peer.fs().file_id(ino);
  ASSERT_OK(first);
  // Opening, reading, flushing and chmod do not make a new version.
  auto fh = peer.fs().open(ino, O_RDWR);
  ASSERT_OK(fh);
  Bytes buf(4);
  ASSERT_OK(peer.fs().read(*fh, 0, buf));
  ASSERT_OK(peer.fs().flush(*fh));
  ASSERT_OK(peer.fs().release(*fh));
  SetAttr chmod;
  chmod.mode = 0600;
  ASSERT_OK(peer.fs().setattr(kCaller, ino, chmod, std::nullopt));
  EXPECT_EQ(peer.fs().file_id(ino)->to_string(), first->to_string());
  // A write does.
  fh = peer.fs().open(ino, O_WRONLY);
  ASSERT_OK(fh);
  ASSERT_OK(peer.fs().write(*fh, 8, as_bytes("2")));
  ASSERT_OK(peer.fs().release(*fh));
  EXPECT_NE(peer.fs().file_id(ino)->to_string(), first->to_string());
}

TEST(FsContent, AnEmptyFileHasAStableId) {
  Peer peer;
  Ino ino = put_file(peer.fs(), kRootIno, "empty", {});
  auto id = peer.fs().file_id(ino);
  ASSERT_OK(id);
  EXPECT_EQ(peer.fs().file_id(ino)->to_string(), id->to_string());
  EXPECT_TRUE(read_all(peer.fs(), ino).empty());
}

TEST(FsContent, HolesReadAsZeros) {
  Peer peer;
  auto created = peer.fs().create(kCaller, kRootIno, "sparse", 0644, O_RDWR);
  ASSERT_OK(created);
  auto [attr, fh] = *created;
  ASSERT_OK(peer.fs().write(fh, 3 * kMiB + 10, as_bytes("end")));
  ASSERT_OK(peer.fs().release(fh));
  Bytes expected(3 * kMiB + 13, 0);
  std::copy_n("end", 3, expected.begin() + 3 * kMiB + 10);
  EXPECT_EQ(read_all(peer.fs(), attr.ino), expected);
}

TEST(FsContent, TruncateThenExtendReadsZerosNotOldBytes) {
  Peer peer;
  Bytes data = random_bytes(3 * kMiB, 4);
  Ino ino = put_file(peer.fs(), kRootIno, "f", data);
  SetAttr shrink;
  shrink.size = kMiB / 2;
  ASSERT_OK(peer.fs().setattr(kCaller, ino, shrink, std::nullopt));
  EXPECT_EQ(peer.fs().getattr(ino)->size, kMiB / 2);
  SetAttr grow;
  grow.size = 3 * kMiB;
  ASSERT_OK(peer.fs().setattr(kCaller, ino, grow, std::nullopt));
  Bytes expected(3 * kMiB, 0);
  std::copy_n(data.begin(), kMiB / 2, expected.begin());
  EXPECT_EQ(read_all(peer.fs(), ino), expected);
  peer.reopen();
  EXPECT_EQ(read_all(peer.fs(), ino), expected);
}

TEST(FsContent, OpenWithTruncEmptiesTheFile) {
  Peer peer;
  Ino ino = put_file(peer.fs(), kRootIno, "f", as_bytes("something"));
  auto fh = peer.fs().open(ino, O_WRONLY | O_TRUNC);
  ASSERT_OK(fh);
  EXPECT_EQ(peer.fs().getattr(ino)->size, 0u);
  ASSERT_OK(peer.fs().release(*fh));
  EXPECT_TRUE(read_all(peer.fs(), ino).empty());
}

TEST(FsContent, AppendWritesAtTheEnd) {
  Peer peer;
  Ino ino = put_file(peer.fs(), kRootIno, "f", as_bytes("ab"));
  auto fh = peer.fs().open(ino, O_WRONLY | O_APPEND);
  ASSERT_OK(fh);
  ASSERT_OK(peer.fs().write(*fh, 0, as_bytes("cd")));
  ASSERT_OK(peer.fs().release(*fh));
  Bytes content = read_all(peer.fs(), ino);
  EXPECT_EQ(std::string(content.begin(), content.end()), "abcd");
}

TEST(FsContent, HandlesCheckTheirAccessMode) {
  Peer peer;
  Ino ino = put_file(peer.fs(), kRootIno, "f", as_bytes("x"));
  auto ro = peer.fs().open(ino, O_RDONLY);
  ASSERT_OK(ro);
  EXPECT_ERRC(peer.fs().write(*ro, 0, as_bytes("y")), Errc::invalid_argument);
  auto wo = peer.fs().open(ino, O_WRONLY);
  ASSERT_OK(wo);
  Bytes buf(1);
  EXPECT_ERRC(peer.fs().read(*wo, 0, buf), Errc::invalid_argument);
  ASSERT_OK(peer.fs().release(*ro));
  ASSERT_OK(peer.fs().release(*wo));
  EXPECT_ERRC(peer.fs().release(*wo), Errc::invalid_argument);
  EXPECT_ERRC(peer.fs().open(kRootIno, O_RDONLY), Errc::is_directory);
}

TEST(FsContent, AnUnlinkedOpenFileStaysReadableUntilRelease) {
  Peer peer;
  Bytes data = random_bytes(kMiB + 5, 5);
  Ino ino = put_file(peer.fs(), kRootIno, "f", data);
  auto fh = peer.fs().open(ino, O_RDWR);
  ASSERT_OK(fh);
  ASSERT_OK(peer.fs().unlink(kRootIno, "f"));
  EXPECT_ERRC(peer.fs().lookup(kRootIno, "f"), Errc::not_found);
  EXPECT_EQ(peer.fs().getattr(ino)->nlink, 0u);
  ASSERT_OK(peer.fs().write(*fh, 0, as_bytes("Z")));
  Bytes buf(data.size());
  auto n = peer.fs().read(*fh, 0, buf);
  ASSERT_OK(n);
  data[0] = 'Z';
  EXPECT_EQ(buf, data);
  ASSERT_OK(peer.fs().release(*fh));
  EXPECT_ERRC(peer.fs().getattr(ino), Errc::not_found);
  // Its version is no longer recorded: GC may collect its chunks.
  EXPECT_TRUE(peer.index().list_files()->empty());
}

TEST(FsContent, RemovingAFileDropsEveryOneOfItsVersionsSoGcCanCollectThem) {
  Peer peer;
  Ino ino = put_file(peer.fs(), kRootIno, "f", random_bytes(2 * kMiB, 7));
  for (const char* edit : {"a", "b"}) {
    auto fh = peer.fs().open(ino, O_WRONLY);
    ASSERT_OK(fh);
    ASSERT_OK(peer.fs().write(*fh, 0, as_bytes(edit)));
    ASSERT_OK(peer.fs().release(*fh));
  }
  ASSERT_OK(peer.fs().unlink(kRootIno, "f"));
  ASSERT_OK(peer.fs().sync_all());  // settles the versions not yet durable too
  EXPECT_TRUE(peer.index().list_files()->empty());
  EXPECT_EQ(*peer.index().referenced_chunk_count(), 0u);
}

TEST(FsContent, AnInodeLeftUnlinkedByACrashIsRemovedAtOpen) {
  Peer peer;
  Ino ino = put_file(peer.fs(), kRootIno, "f", as_bytes("x"));
  auto fh = peer.fs().open(ino, O_RDONLY);
  ASSERT_OK(fh);
  ASSERT_OK(peer.fs().unlink(kRootIno, "f"));
  // The FileSystem is not destroyed in a crash; reopening over the same
  // index without release is what a restart sees.
  peer.reopen();
  EXPECT_ERRC(peer.fs().getattr(ino), Errc::not_found);
}

TEST(FsContent, OldVersionsAreForgottenSoGcCanCollectThem) {
  Peer peer;
  Ino ino = put_file(peer.fs(), kRootIno, "f", random_bytes(2 * kMiB, 6));
  auto fh = peer.fs().open(ino, O_WRONLY);
  ASSERT_OK(fh);
  ASSERT_OK(peer.fs().write(*fh, 0, as_bytes("x")));
  ASSERT_OK(peer.fs().release(*fh));
  // Until the new version is durable the old one stays recorded: it is
  // what recovery would go back to after a power loss.
  auto files = peer.index().list_files();
  ASSERT_OK(files);
  EXPECT_EQ(files->size(), 2u);
  ASSERT_OK(peer.fs().sync_all());
  files = peer.index().list_files();
  ASSERT_OK(files);
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ(files->front().manifest, *peer.index().get_inode(ino)->manifest);
  // The unchanged chunk is referenced by the new version; the old first
  // chunk and the old manifest are garbage.
  auto stored = peer.store().list();
  ASSERT_OK(stored);
  auto garbage = peer.index().unreferenced(*stored);
  ASSERT_OK(garbage);
  EXPECT_EQ(garbage->size(), 2u);
}

TEST(FsContent, LargeDirtyFilesSpillToDiskAndReadBackTheSame) {
  FsOptions options;
  options.dirty_memory_bytes = 2 * kMiB;  // most chunks spill
  Peer peer(options);
  Bytes data = random_bytes(6 * kMiB + 3, 7);
  auto created = peer.fs().create(kCaller, kRootIno, "big", 0644, O_RDWR);
  ASSERT_OK(created);
  auto [attr, fh] = *created;
  // Unaligned pieces, so spilled chunks are written in parts.
  for (std::size_t off = 0; off < data.size(); off += 300000) {
    std::size_t n = std::min<std::size_t>(300000, data.size() - off);
    ASSERT_OK(peer.fs().write(fh, off, ByteView(data).subspan(off, n)));
  }
  Bytes buf(data.size());
  ASSERT_OK(peer.fs().read(fh, 0, buf));
  EXPECT_EQ(buf, data);
  ASSERT_OK(peer.fs().release(fh));
  peer.reopen();
  EXPECT_EQ(read_all(peer.fs(), attr.ino), data);
}

TEST(FsContent, FsyncCommitsLikeClose) {
  Peer peer;
  auto created = peer.fs().create(kCaller, kRootIno, "f", 0644, O_RDWR);
  ASSERT_OK(created);
  auto [attr, fh] = *created;
  ASSERT_OK(peer.fs().write(fh, 0, as_bytes("durable")));
  ASSERT_OK(peer.fs().fsync(fh, false));
  EXPECT_EQ(peer.index().get_inode(attr.ino)->size, 7u);
  ASSERT_OK(peer.fs().release(fh));
}

TEST(FsContent, FutimensBeforeCloseSurvivesTheCommit) {
  Peer peer;
  auto created = peer.fs().create(kCaller, kRootIno, "f", 0644, O_RDWR);
  ASSERT_OK(created);
  auto [attr, fh] = *created;
  ASSERT_OK(peer.fs().write(fh, 0, as_bytes("data")));
  SetAttr times;
  times.mtime = Timespec{1000, 5};
  ASSERT_OK(peer.fs().setattr(kCaller, attr.ino, times, fh));
  ASSERT_OK(peer.fs().release(fh));
  EXPECT_EQ(peer.fs().getattr(attr.ino)->mtime, (Timespec{1000, 5}));
}

}  // namespace
}  // namespace dfs::fs
