// Namespace operations of the filesystem core: success and error paths.
#include <sys/stat.h>
#include <sys/xattr.h>

#include "fs_test_util.hpp"

namespace dfs::fs {
namespace {

using testing::kCaller;
using testing::Peer;
using testing::put_file;
using testing::read_all;

TEST(FsNamespace, RootIsADirectory) {
  Peer peer;
  auto root = peer.fs().getattr(kRootIno);
  ASSERT_OK(root);
  EXPECT_TRUE(S_ISDIR(root->mode));
  EXPECT_EQ(root->nlink, 2u);
}

TEST(FsNamespace, MkdirMakesADirectoryThatLookupFinds) {
  Peer peer;
  auto made = peer.fs().mkdir(kCaller, kRootIno, "docs", 0777);
  ASSERT_OK(made);
  EXPECT_EQ(made->mode, S_IFDIR | 0755u);  // umask 022 applied
  EXPECT_EQ(made->uid, 1000u);
  EXPECT_EQ(made->nlink, 2u);
  auto found = peer.fs().lookup(kRootIno, "docs");
  ASSERT_OK(found);
  EXPECT_EQ(found->ino, made->ino);
  EXPECT_EQ(peer.fs().getattr(kRootIno)->nlink, 3u);
}

TEST(FsNamespace, MkdirOfAnExistingNameFailsWithAlreadyExists) {
  Peer peer;
  ASSERT_OK(peer.fs().mkdir(kCaller, kRootIno, "a", 0755));
  EXPECT_ERRC(peer.fs().mkdir(kCaller, kRootIno, "a", 0755), Errc::already_exists);
}

TEST(FsNamespace, BadNamesAreRefused) {
  Peer peer;
  EXPECT_ERRC(peer.fs().mkdir(kCaller, kRootIno, std::string(256, 'x'), 0755), Errc::name_too_long);
  EXPECT_ERRC(peer.fs().lookup(kRootIno, std::string(256, 'x')), Errc::name_too_long);
  EXPECT_ERRC(peer.fs().mkdir(kCaller, kRootIno, "a/b", 0755), Errc::invalid_argument);
  EXPECT_ERRC(peer.fs().mkdir(kCaller, kRootIno, "", 0755), Errc::invalid_argument);
}

TEST(FsNamespace, LookupOfAMissingNameFailsWithNotFound) {
  Peer peer;
  EXPECT_ERRC(peer.fs().lookup(kRootIno, "nothing"), Errc::not_found);
  EXPECT_ERRC(peer.fs().getattr(12345), Errc::not_found);
}

TEST(FsNamespace, LookupInAFileFailsWithNotDirectory) {
  Peer peer;
  Ino file = put_file(peer.fs(), kRootIno, "f", as_bytes("x"));
  EXPECT_ERRC(peer.fs().lookup(file, "x"), Errc::not_directory);
  EXPECT_ERRC(peer.fs().mkdir(kCaller, file, "x", 0755), Errc::not_directory);
  EXPECT_ERRC(peer.fs().readdir(file), Errc::not_directory);
}

TEST(FsNamespace, ReaddirListsEntriesByName) {
  Peer peer;
  put_file(peer.fs(), kRootIno, "b", as_bytes("x"));
  ASSERT_OK(peer.fs().mkdir(kCaller, kRootIno, "a", 0755));
  auto entries = peer.fs().readdir(kRootIno);
  ASSERT_OK(entries);
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].name, "a");
  EXPECT_TRUE(S_ISDIR((*entries)[0].mode));
  EXPECT_EQ((*entries)[1].name, "b");
  EXPECT_TRUE(S_ISREG((*entries)[1].mode));
}

TEST(FsNamespace, RmdirRemovesAnEmptyDirectory) {
  Peer peer;
  ASSERT_OK(peer.fs().mkdir(kCaller, kRootIno, "d", 0755));
  ASSERT_OK(peer.fs().rmdir(kRootIno, "d"));
  EXPECT_ERRC(peer.fs().lookup(kRootIno, "d"), Errc::not_found);
  EXPECT_EQ(peer.fs().getattr(kRootIno)->nlink, 2u);
}

TEST(FsNamespace, RmdirErrorsAreThePosixOnes) {
  Peer peer;
  auto d = peer.fs().mkdir(kCaller, kRootIno, "d", 0755);
  ASSERT_OK(d);
  put_file(peer.fs(), d->ino, "f", as_bytes("x"));
  put_file(peer.fs(), kRootIno, "file", as_bytes("x"));
  EXPECT_ERRC(peer.fs().rmdir(kRootIno, "d"), Errc::not_empty);
  EXPECT_ERRC(peer.fs().rmdir(kRootIno, "file"), Errc::not_directory);
  EXPECT_ERRC(peer.fs().rmdir(kRootIno, "none"), Errc::not_found);
  EXPECT_ERRC(peer.fs().rmdir(kRootIno, "."), Errc::invalid_argument);
}

TEST(FsNamespace, UnlinkRemovesAFileAndItsInode) {
  Peer peer;
  Ino ino = put_file(peer.fs(), kRootIno, "f", as_bytes("hello"));
  ASSERT_OK(peer.fs().unlink(kRootIno, "f"));
  EXPECT_ERRC(peer.fs().lookup(kRootIno, "f"), Errc::not_found);
  EXPECT_ERRC(peer.fs().getattr(ino), Errc::not_found);
}

TEST(FsNamespace, UnlinkErrorsAreThePosixOnes) {
  Peer peer;
  ASSERT_OK(peer.fs().mkdir(kCaller, kRootIno, "d", 0755));
  EXPECT_ERRC(peer.fs().unlink(kRootIno, "d"), Errc::is_directory);
  EXPECT_ERRC(peer.fs().unlink(kRootIno, "none"), Errc::not_found);
}

TEST(FsNamespace, LinkAddsANameAndCountsIt) {
  Peer peer;
  Ino ino = put_file(peer.fs(), kRootIno, "f", as_bytes("shared"));
  auto linked = peer.fs().link(ino, kRootIno, "g");
  ASSERT_OK(linked);
  EXPECT_EQ(linked->nlink, 2u);
  ASSERT_OK(peer.fs().unlink(kRootIno, "f"));
  EXPECT_EQ(peer.fs().getattr(ino)->nlink, 1u);
  EXPECT_EQ(read_all(peer.fs(), ino), Bytes(as_bytes("shared").begin(), as_bytes("shared").end()));
}

TEST(FsNamespace, LinkErrorsAreThePosixOnes) {
  Peer peer;
  Ino ino = put_file(peer.fs(), kRootIno, "f", as_bytes("x"));
  auto d = peer.fs().mkdir(kCaller, kRootIno, "d", 0755);
  ASSERT_OK(d);
  EXPECT_ERRC(peer.fs().link(ino, kRootIno, "f"), Errc::already_exists);
  EXPECT_ERRC(peer.fs().link(d->ino, kRootIno, "d2"), Errc::permission_denied);
  EXPECT_ERRC(peer.fs().link(ino, ino, "x"), Errc::not_directory);
}

TEST(FsNamespace, SymlinkStoresItsTarget) {
  Peer peer;
  auto made = peer.fs().symlink(kCaller, "../some/where", kRootIno, "l");
  ASSERT_OK(made);
  EXPECT_TRUE(S_ISLNK(made->mode));
  EXPECT_EQ(made->size, 13u);
  EXPECT_EQ(*peer.fs().readlink(made->ino), "../some/where");
  Ino file = put_file(peer.fs(), kRootIno, "f", as_bytes("x"));
  EXPECT_ERRC(peer.fs().readlink(file), Errc::invalid_argument);
  EXPECT_ERRC(peer.fs().symlink(kCaller, "t", kRootIno, "l"), Errc::already_exists);
}

TEST(FsNamespace, SetattrChangesModeOwnerAndTimes) {
  Peer peer;
  Ino ino = put_file(peer.fs(), kRootIno, "f", as_bytes("x"));
  SetAttr changes;
  changes.mode = 0600;
  changes.uid = 7;
  changes.gid = 8;
  changes.atime = Timespec{100, 1};
  changes.mtime = Timespec{200, 2};
  auto attr = peer.fs().setattr(kCaller, ino, changes, std::nullopt);
  ASSERT_OK(attr);
  EXPECT_EQ(attr->mode, S_IFREG | 0600u);
  EXPECT_EQ(attr->uid, 7u);
  EXPECT_EQ(attr->gid, 8u);
  EXPECT_EQ(attr->atime, (Timespec{100, 1}));
  EXPECT_EQ(attr->mtime, (Timespec{200, 2}));
  peer.reopen();
  EXPECT_EQ(peer.fs().getattr(ino)->mtime, (Timespec{200, 2}));
}

TEST(FsNamespace, SetattrSizeOfADirectoryFailsWithIsDirectory) {
  Peer peer;
  SetAttr changes;
  changes.size = 0;
  EXPECT_ERRC(peer.fs().setattr(kCaller, kRootIno, changes, std::nullopt), Errc::is_directory);
}

TEST(FsNamespace, StatfsReportsTheQuotaAndTheUsage) {
  Peer peer;
  auto before = peer.fs().statfs();
  ASSERT_OK(before);
  EXPECT_GT(before->blocks, 0u);
  EXPECT_EQ(before->name_max, 255u);
  put_file(peer.fs(), kRootIno, "f", testing::random_bytes(1 << 20, 1));
  auto after = peer.fs().statfs();
  ASSERT_OK(after);
  EXPECT_EQ(after->files, after->files_free + 2);  // root and f
}

TEST(FsNamespace, XattrsRoundTripAndKeepTheirFlags) {
  Peer peer;
  Ino ino = put_file(peer.fs(), kRootIno, "f", as_bytes("x"));
  ASSERT_OK(peer.fs().setxattr(ino, "user.color", as_bytes("blue"), 0));
  auto value = peer.fs().getxattr(ino, "user.color");
  ASSERT_OK(value);
  EXPECT_EQ(std::string(value->begin(), value->end()), "blue");
  EXPECT_ERRC(peer.fs().setxattr(ino, "user.color", as_bytes("red"), XATTR_CREATE), Errc::already_exists);
  EXPECT_ERRC(peer.fs().setxattr(ino, "user.size", as_bytes("1"), XATTR_REPLACE), Errc::not_found);
  auto names = peer.fs().listxattr(ino);
  ASSERT_OK(names);
  EXPECT_EQ(*names, (std::vector<std::string>{"user.dfs.id", "user.color"}));
  ASSERT_OK(peer.fs().removexattr(ino, "user.color"));
  EXPECT_ERRC(peer.fs().getxattr(ino, "user.color"), Errc::not_found);
  EXPECT_ERRC(peer.fs().removexattr(ino, "user.color"), Errc::not_found);
}

TEST(FsNamespace, OnlyUserXattrsAreSupported) {
  Peer peer;
  Ino ino = put_file(peer.fs(), kRootIno, "f", as_bytes("x"));
  EXPECT_ERRC(peer.fs().setxattr(ino, "trusted.x", as_bytes("1"), 0), Errc::not_supported);
  EXPECT_ERRC(peer.fs().getxattr(ino, "security.selinux"), Errc::not_supported);
}

TEST(FsNamespace, TheIdXattrIsTheFileIdAndReadOnly) {
  Peer peer;
  Ino ino = put_file(peer.fs(), kRootIno, "f", as_bytes("content"));
  auto value = peer.fs().getxattr(ino, "user.dfs.id");
  ASSERT_OK(value);
  EXPECT_EQ(std::string(value->begin(), value->end()), peer.fs().file_id(ino)->to_string());
  EXPECT_ERRC(peer.fs().setxattr(ino, "user.dfs.id", as_bytes("x"), 0), Errc::permission_denied);
  EXPECT_ERRC(peer.fs().removexattr(ino, "user.dfs.id"), Errc::permission_denied);
  ASSERT_OK(peer.fs().symlink(kCaller, "f", kRootIno, "link"));
  EXPECT_ERRC(peer.fs().getxattr(peer.fs().lookup(kRootIno, "link")->ino, "user.dfs.id"), Errc::not_found);
  auto root = peer.fs().getxattr(kRootIno, "user.dfs.id");  // a directory's is its snapshot's
  ASSERT_OK(root);
  EXPECT_TRUE(FileId::parse(std::string(root->begin(), root->end()))->is_directory());
}

TEST(FsNamespace, TheNamespaceSurvivesReopening) {
  Peer peer;
  auto d = peer.fs().mkdir(kCaller, kRootIno, "d", 0755);
  ASSERT_OK(d);
  Ino ino = put_file(peer.fs(), d->ino, "f", as_bytes("persisted"));
  ASSERT_OK(peer.fs().setxattr(ino, "user.k", as_bytes("v"), 0));
  peer.reopen();
  auto found = peer.fs().lookup(d->ino, "f");
  ASSERT_OK(found);
  EXPECT_EQ(found->ino, ino);
  auto content = read_all(peer.fs(), ino);
  EXPECT_EQ(std::string(content.begin(), content.end()), "persisted");
  EXPECT_TRUE(peer.fs().getxattr(ino, "user.k").ok());
}

}  // namespace
}  // namespace dfs::fs
