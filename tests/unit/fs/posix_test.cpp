// POSIX corners of the core: special files, user.dfs.id round trips, df,
// fallocate and SEEK_DATA/SEEK_HOLE, page-cache validity at open.
#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "fs_test_util.hpp"

namespace dfs::fs {
namespace {

using testing::kCaller;
using testing::Peer;
using testing::put_file;
using testing::read_all;

class FsPosix : public ::testing::Test {
 protected:
  FileSystem& fs() { return peer.fs(); }
  Peer peer;
};

TEST_F(FsPosix, SpecialFilesKeepTheirTypeModeAndDevice) {
  auto fifo = fs().mknod(kCaller, kRootIno, "fifo", S_IFIFO | 0640, 0);
  ASSERT_OK(fifo);
  EXPECT_EQ(fifo->mode, S_IFIFO | 0640u);
  auto sock = fs().mknod(kCaller, kRootIno, "sock", S_IFSOCK | 0777, 0);
  ASSERT_OK(sock);
  EXPECT_EQ(sock->mode, S_IFSOCK | 0755u) << "the umask applies";
  const std::uint64_t dev = makedev(1, 3);
  ASSERT_OK(fs().mknod(kCaller, kRootIno, "null", S_IFCHR | 0666, dev));
  ASSERT_OK(fs().mknod(kCaller, kRootIno, "disk", S_IFBLK | 0600, makedev(8, 1)));
  peer.reopen();
  auto chr = fs().lookup(kRootIno, "null");
  ASSERT_OK(chr);
  EXPECT_EQ(chr->mode, S_IFCHR | 0644u);
  EXPECT_EQ(chr->rdev, dev);
  auto blk = fs().lookup(kRootIno, "disk");
  ASSERT_OK(blk);
  EXPECT_EQ(blk->rdev, makedev(8, 1));
  auto plain = fs().mknod(kCaller, kRootIno, "plain", 0644, 0);
  ASSERT_OK(plain);
  EXPECT_TRUE(S_ISREG(plain->mode));
  EXPECT_ERRC(fs().mknod(kCaller, kRootIno, "dir", S_IFDIR | 0755, 0), Errc::invalid_argument);
  EXPECT_ERRC(fs().mknod(kCaller, kRootIno, "fifo", S_IFIFO | 0755, 0), Errc::already_exists);
}

TEST_F(FsPosix, SpecialFilesHaveNoFileId) {
  auto fifo = fs().mknod(kCaller, kRootIno, "fifo", S_IFIFO | 0644, 0);
  ASSERT_OK(fifo);
  EXPECT_ERRC(fs().getxattr(fifo->ino, "user.dfs.id"), Errc::not_found);
  auto names = fs().listxattr(fifo->ino);
  ASSERT_OK(names);
  EXPECT_TRUE(names->empty());
  EXPECT_ERRC(fs().file_id(fifo->ino), Errc::invalid_argument);
  EXPECT_ERRC(fs().open(fifo->ino, O_RDONLY), Errc::invalid_argument);
}

TEST_F(FsPosix, SpecialFilesAreRenamedLinkedAndUnlinkedLikeFiles) {
  auto fifo = fs().mknod(kCaller, kRootIno, "fifo", S_IFIFO | 0644, 0);
  ASSERT_OK(fifo);
  ASSERT_OK(fs().rename(kRootIno, "fifo", kRootIno, "moved", 0));
  auto linked = fs().link(fifo->ino, kRootIno, "second");
  ASSERT_OK(linked);
  EXPECT_EQ(linked->nlink, 2u);
  SetAttr chmod;
  chmod.mode = 0600;
  auto changed = fs().setattr(kCaller, fifo->ino, chmod, std::nullopt);
  ASSERT_OK(changed);
  EXPECT_EQ(changed->mode, S_IFIFO | 0600u);
  ASSERT_OK(fs().unlink(kRootIno, "moved"));
  ASSERT_OK(fs().unlink(kRootIno, "second"));
  EXPECT_ERRC(fs().getattr(fifo->ino), Errc::not_found);
}

TEST_F(FsPosix, SettingTheIdAttributeToItsOwnValueSucceeds) {
  const Ino ino = put_file(fs(), kRootIno, "f", Bytes{'a', 'b'});
  auto id = fs().getxattr(ino, "user.dfs.id");
  ASSERT_OK(id);
  ASSERT_OK(fs().setxattr(ino, "user.dfs.id", *id, 0));
  ASSERT_OK(fs().setxattr(ino, "user.dfs.id", *id, XATTR_REPLACE));
  Bytes other = *id;
  other.back() = other.back() == 'a' ? 'b' : 'a';
  EXPECT_ERRC(fs().setxattr(ino, "user.dfs.id", other, 0), Errc::permission_denied);
  EXPECT_ERRC(fs().setxattr(ino, "user.dfs.id", *id, XATTR_CREATE), Errc::already_exists);
  EXPECT_ERRC(fs().removexattr(ino, "user.dfs.id"), Errc::permission_denied);
}

TEST_F(FsPosix, StatfsUsedIsWhatTheStoreHolds) {
  put_file(fs(), kRootIno, "f", testing::random_bytes(3 << 20, 1));
  auto s = fs().statfs();
  ASSERT_OK(s);
  const std::uint64_t used = (s->blocks - s->blocks_free) * s->block_size;
  const std::uint64_t stored = peer.store().usage().bytes;
  EXPECT_LE(used, stored + s->block_size);
  EXPECT_GE(used + s->block_size, stored);
}

TEST_F(FsPosix, UtimeNowUsesTheFilesystemsClockAndOmitLeavesATime) {
  const Ino ino = put_file(fs(), kRootIno, "f", Bytes{'x'});
  SetAttr past;
  past.atime = Timespec{1000, 0};
  past.mtime = Timespec{2000, 0};
  ASSERT_OK(fs().setattr(kCaller, ino, past, std::nullopt));
  SetAttr now;
  now.mtime_now = true;  // atime: UTIME_OMIT
  auto after = fs().setattr(kCaller, ino, now, std::nullopt);
  ASSERT_OK(after);
  EXPECT_EQ(after->atime.sec, 1000);
  EXPECT_GT(after->mtime.sec, 2000);
  EXPECT_GE(after->ctime.sec, after->mtime.sec);
}

TEST_F(FsPosix, FallocateExtendsPunchesAndZeroes) {
  const Bytes data(3 * 1024, 'd');
  auto created = fs().create(kCaller, kRootIno, "f", 0644, O_RDWR);
  ASSERT_OK(created);
  const FileHandle fh = created->second;
  ASSERT_OK(fs().write(fh, 0, data));
  ASSERT_OK(fs().fallocate(fh, FALLOC_FL_KEEP_SIZE, 0, 1 << 20));
  EXPECT_EQ(fs().getattr(created->first.ino)->size, data.size());
  ASSERT_OK(fs().fallocate(fh, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 1024, 1024));
  ASSERT_OK(fs().fallocate(fh, 0, 0, 8192));
  EXPECT_EQ(fs().getattr(created->first.ino)->size, 8192u);
  ASSERT_OK(fs().fallocate(fh, FALLOC_FL_ZERO_RANGE, 2048, 8192));
  EXPECT_EQ(fs().getattr(created->first.ino)->size, 10240u);
  EXPECT_ERRC(fs().fallocate(fh, FALLOC_FL_PUNCH_HOLE, 0, 1), Errc::not_supported);
  EXPECT_ERRC(fs().fallocate(fh, 0, std::uint64_t{1} << 62, 1), Errc::too_large);
  ASSERT_OK(fs().release(fh));
  Bytes expected(10240, 0);
  std::fill(expected.begin(), expected.begin() + 1024, 'd');
  EXPECT_TRUE(read_all(fs(), created->first.ino) == expected);
}

TEST_F(FsPosix, SeekDataAndHoleStopAtTheEnd) {
  auto created = fs().create(kCaller, kRootIno, "f", 0644, O_RDWR);
  ASSERT_OK(created);
  const FileHandle fh = created->second;
  ASSERT_OK(fs().write(fh, 0, Bytes(5000, 'x')));
  EXPECT_EQ(*fs().seek_data(fh, 100, false), 100u);
  EXPECT_EQ(*fs().seek_data(fh, 100, true), 5000u);
  EXPECT_ERRC(fs().seek_data(fh, 5000, false), Errc::not_found);
  ASSERT_OK(fs().release(fh));
}

TEST_F(FsPosix, ThePageCacheIsKeptOnlyWhileTheFileIsUnchanged) {
  const Ino ino = put_file(fs(), kRootIno, "f", Bytes{'a'});
  auto first = fs().open(ino, O_RDONLY);
  ASSERT_OK(first);
  EXPECT_TRUE(fs().keeps_cache(*first)) << "as it was at its last close";
  ASSERT_OK(fs().release(*first));
  SetAttr truncate;  // a change no handle saw
  truncate.size = 5;
  ASSERT_OK(fs().setattr(kCaller, ino, truncate, std::nullopt));
  auto reader = fs().open(ino, O_RDONLY);
  ASSERT_OK(reader);
  EXPECT_FALSE(fs().keeps_cache(*reader)) << "truncated since";
  ASSERT_OK(fs().release(*reader));
}

}  // namespace
}  // namespace dfs::fs
