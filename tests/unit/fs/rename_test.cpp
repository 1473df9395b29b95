// rename: moves, replacing, RENAME_NOREPLACE, RENAME_EXCHANGE, directories.
#include <sys/stat.h>

#include "fs_test_util.hpp"

namespace dfs::fs {
namespace {

using testing::kCaller;
using testing::Peer;
using testing::put_file;
using testing::read_all;

std::string text(const Bytes& b) { return std::string(b.begin(), b.end()); }

class FsRename : public ::testing::Test {
 protected:
  Ino mkdir(Ino parent, const std::string& name) {
    auto made = peer.fs().mkdir(kCaller, parent, name, 0755);
    EXPECT_TRUE(made.ok());
    return made.ok() ? made->ino : 0;
  }
  Peer peer;
};

TEST_F(FsRename, RenameMovesAFileWithinADirectory) {
  Ino ino = put_file(peer.fs(), kRootIno, "a", as_bytes("A"));
  ASSERT_OK(peer.fs().rename(kRootIno, "a", kRootIno, "b", 0));
  EXPECT_ERRC(peer.fs().lookup(kRootIno, "a"), Errc::not_found);
  EXPECT_EQ(peer.fs().lookup(kRootIno, "b")->ino, ino);
}

TEST_F(FsRename, RenameReplacesAnExistingFileAndRemovesIt) {
  Ino a = put_file(peer.fs(), kRootIno, "a", as_bytes("A"));
  Ino b = put_file(peer.fs(), kRootIno, "b", as_bytes("B"));
  ASSERT_OK(peer.fs().rename(kRootIno, "a", kRootIno, "b", 0));
  EXPECT_EQ(peer.fs().lookup(kRootIno, "b")->ino, a);
  EXPECT_ERRC(peer.fs().getattr(b), Errc::not_found);
}

TEST_F(FsRename, ReplacingAnOpenFileKeepsItReadableUntilRelease) {
  put_file(peer.fs(), kRootIno, "a", as_bytes("A"));
  Ino b = put_file(peer.fs(), kRootIno, "b", as_bytes("B"));
  auto fh = peer.fs().open(b, O_RDONLY);
  ASSERT_OK(fh);
  ASSERT_OK(peer.fs().rename(kRootIno, "a", kRootIno, "b", 0));
  Bytes buf(8);
  auto n = peer.fs().read(*fh, 0, buf);
  ASSERT_OK(n);
  EXPECT_EQ(*n, 1u);
  EXPECT_EQ(buf[0], 'B');
  ASSERT_OK(peer.fs().release(*fh));
  EXPECT_ERRC(peer.fs().getattr(b), Errc::not_found);
}

TEST_F(FsRename, NoReplaceRefusesAnExistingTarget) {
  put_file(peer.fs(), kRootIno, "a", as_bytes("A"));
  put_file(peer.fs(), kRootIno, "b", as_bytes("B"));
  EXPECT_ERRC(peer.fs().rename(kRootIno, "a", kRootIno, "b", kRenameNoReplace), Errc::already_exists);
  ASSERT_OK(peer.fs().rename(kRootIno, "a", kRootIno, "c", kRenameNoReplace));
}

TEST_F(FsRename, ExchangeSwapsTwoNames) {
  Ino a = put_file(peer.fs(), kRootIno, "a", as_bytes("A"));
  Ino d = mkdir(kRootIno, "d");
  Ino b = put_file(peer.fs(), d, "b", as_bytes("B"));
  ASSERT_OK(peer.fs().rename(kRootIno, "a", d, "b", kRenameExchange));
  EXPECT_EQ(peer.fs().lookup(kRootIno, "a")->ino, b);
  EXPECT_EQ(peer.fs().lookup(d, "b")->ino, a);
  EXPECT_ERRC(peer.fs().rename(kRootIno, "a", kRootIno, "none", kRenameExchange), Errc::not_found);
}

TEST_F(FsRename, ExchangingADirectoryAndAFileMovesTheSubdirectoryCount) {
  Ino d1 = mkdir(kRootIno, "d1");
  Ino sub = mkdir(d1, "sub");
  Ino d2 = mkdir(kRootIno, "d2");
  put_file(peer.fs(), d2, "f", as_bytes("F"));
  ASSERT_OK(peer.fs().rename(d1, "sub", d2, "f", kRenameExchange));
  EXPECT_EQ(peer.fs().lookup(d2, "f")->ino, sub);
  EXPECT_EQ(peer.fs().getattr(d1)->nlink, 2u);
  EXPECT_EQ(peer.fs().getattr(d2)->nlink, 3u);
}

TEST_F(FsRename, ConflictingFlagsAreInvalid) {
  put_file(peer.fs(), kRootIno, "a", as_bytes("A"));
  EXPECT_ERRC(peer.fs().rename(kRootIno, "a", kRootIno, "b", kRenameExchange | kRenameNoReplace),
              Errc::invalid_argument);
}

TEST_F(FsRename, MovingADirectoryUpdatesBothParentsLinkCounts) {
  Ino a = mkdir(kRootIno, "a");
  Ino b = mkdir(kRootIno, "b");
  mkdir(a, "sub");
  ASSERT_OK(peer.fs().rename(a, "sub", b, "sub", 0));
  EXPECT_EQ(peer.fs().getattr(a)->nlink, 2u);
  EXPECT_EQ(peer.fs().getattr(b)->nlink, 3u);
}

TEST_F(FsRename, ADirectoryCannotMoveIntoItsOwnSubtree) {
  Ino a = mkdir(kRootIno, "a");
  Ino b = mkdir(a, "b");
  EXPECT_ERRC(peer.fs().rename(kRootIno, "a", b, "a", 0), Errc::invalid_argument);
  EXPECT_ERRC(peer.fs().rename(kRootIno, "a", a, "x", 0), Errc::invalid_argument);
}

TEST_F(FsRename, ADirectoryReplacesOnlyAnEmptyDirectory) {
  Ino a = mkdir(kRootIno, "a");
  Ino b = mkdir(kRootIno, "b");
  put_file(peer.fs(), b, "f", as_bytes("F"));
  EXPECT_ERRC(peer.fs().rename(kRootIno, "a", kRootIno, "b", 0), Errc::not_empty);
  ASSERT_OK(peer.fs().unlink(b, "f"));
  ASSERT_OK(peer.fs().rename(kRootIno, "a", kRootIno, "b", 0));
  EXPECT_EQ(peer.fs().lookup(kRootIno, "b")->ino, a);
  EXPECT_ERRC(peer.fs().getattr(b), Errc::not_found);
  EXPECT_EQ(peer.fs().getattr(kRootIno)->nlink, 3u);
}

TEST_F(FsRename, FilesAndDirectoriesDoNotReplaceEachOther) {
  mkdir(kRootIno, "d");
  put_file(peer.fs(), kRootIno, "f", as_bytes("F"));
  EXPECT_ERRC(peer.fs().rename(kRootIno, "f", kRootIno, "d", 0), Errc::is_directory);
  EXPECT_ERRC(peer.fs().rename(kRootIno, "d", kRootIno, "f", 0), Errc::not_directory);
}

TEST_F(FsRename, RenamingOntoAnotherNameOfTheSameFileDoesNothing) {
  Ino ino = put_file(peer.fs(), kRootIno, "a", as_bytes("A"));
  ASSERT_OK(peer.fs().link(ino, kRootIno, "b"));
  ASSERT_OK(peer.fs().rename(kRootIno, "a", kRootIno, "b", 0));
  EXPECT_EQ(peer.fs().lookup(kRootIno, "a")->ino, ino);
  EXPECT_EQ(peer.fs().getattr(ino)->nlink, 2u);
}

TEST_F(FsRename, RenameOfAMissingNameFailsWithNotFound) {
  EXPECT_ERRC(peer.fs().rename(kRootIno, "none", kRootIno, "b", 0), Errc::not_found);
}

TEST_F(FsRename, ARenamedFileKeepsItsContent) {
  Ino d = mkdir(kRootIno, "d");
  Ino ino = put_file(peer.fs(), kRootIno, "a", as_bytes("content"));
  ASSERT_OK(peer.fs().rename(kRootIno, "a", d, "b", 0));
  peer.reopen();
  EXPECT_EQ(text(read_all(peer.fs(), ino)), "content");
}

}  // namespace
}  // namespace dfs::fs
