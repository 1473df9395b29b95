// IdDirectory and place_shared: MOUNT/.dfs/ids and `dfs open`'s rules,
// without FUSE, on a real index and store.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "dfs/fs/id_directory.hpp"
#include "dfs/fs/place_shared.hpp"
#include "fs_test_util.hpp"

namespace dfs::fs {
namespace {

using testing::kCaller;
using testing::Peer;
using testing::put_file;
using testing::read_all;

const Bytes kContent{'s', 'h', 'a', 'r', 'e', 'd'};

class FsIdDirectory : public ::testing::Test {
 protected:
  // A file of this peer, and its ID (resolvable here: its chunks are local).
  FileId shared_id() {
    const Ino ino = put_file(fs(), kRootIno, "original", kContent);
    auto id = fs().file_id(ino);
    EXPECT_TRUE(id.ok());
    return *id;
  }
  FileSystem& fs() { return peer.fs(); }

  Peer peer;
};

TEST_F(FsIdDirectory, DotDfsIsReachableByLookupButNeverListed) {
  auto dot = fs().lookup(kRootIno, ".dfs");
  ASSERT_OK(dot);
  EXPECT_EQ(dot->mode, S_IFDIR | 0555u);
  auto ids = fs().lookup(dot->ino, "ids");
  ASSERT_OK(ids);
  EXPECT_EQ(ids->ino, kIdsIno);
  (void)shared_id();
  auto root = fs().readdir(kRootIno);
  ASSERT_OK(root);
  for (const DirEntry& e : *root) EXPECT_NE(e.name, ".dfs");
  auto listed = fs().readdir(kIdsIno);
  ASSERT_OK(listed);
  EXPECT_TRUE(listed->empty());
  EXPECT_ERRC(fs().lookup(kDotDfsIno, "other"), Errc::not_found);
}

TEST_F(FsIdDirectory, AnIdResolvesToAReadOnlyFile) {
  const FileId id = shared_id();
  auto file = fs().lookup(kIdsIno, id.to_string());
  ASSERT_OK(file);
  EXPECT_EQ(file->mode & 0222, 0u) << "no write bits on a file opened by ID";
  EXPECT_TRUE(read_all(fs(), file->ino) == kContent);
  EXPECT_ERRC(fs().open(file->ino, O_WRONLY), Errc::read_only);
  EXPECT_ERRC(fs().open(file->ino, O_RDONLY | O_TRUNC), Errc::read_only);
  SetAttr truncate;
  truncate.size = 0;
  EXPECT_ERRC(fs().setattr(kCaller, file->ino, truncate, std::nullopt), Errc::read_only);
  const Bytes value{'x'};
  EXPECT_ERRC(fs().setxattr(file->ino, "user.x", value, 0), Errc::read_only);
  EXPECT_ERRC(fs().link(file->ino, kRootIno, "again"), Errc::cross_device);
  auto again = fs().getattr(file->ino);
  ASSERT_OK(again);
  EXPECT_EQ(again->mode & 0222, 0u);
}

TEST_F(FsIdDirectory, NothingCanBeMadeOrRemovedUnderDotDfs) {
  const FileId id = shared_id();
  ASSERT_OK(fs().lookup(kIdsIno, id.to_string()));
  EXPECT_ERRC(fs().mkdir(kCaller, kIdsIno, "x", 0755), Errc::read_only);
  EXPECT_ERRC(fs().create(kCaller, kIdsIno, "x", 0644, O_WRONLY), Errc::read_only);
  EXPECT_ERRC(fs().mknod(kCaller, kIdsIno, "x", S_IFIFO | 0644, 0), Errc::read_only);
  EXPECT_ERRC(fs().unlink(kIdsIno, id.to_string()), Errc::read_only);
  EXPECT_ERRC(fs().rmdir(kRootIno, ".dfs"), Errc::read_only);
  EXPECT_ERRC(fs().rename(kRootIno, "original", kIdsIno, "x", 0), Errc::read_only);
  EXPECT_ERRC(fs().mkdir(kCaller, kRootIno, ".dfs", 0755), Errc::already_exists);
  EXPECT_ERRC(fs().link(kDotDfsIno, kRootIno, "d"), Errc::is_directory);
  EXPECT_ERRC(fs().open(kIdsIno, O_RDONLY), Errc::is_directory);
}

TEST_F(FsIdDirectory, ADirectoryStreamKeepsItsOffsetsUntilARewind) {
  (void)shared_id();  // makes the hidden /.dfs, which no stream shows
  put_file(fs(), kRootIno, "b", kContent);
  auto dh = fs().opendir(kRootIno);
  ASSERT_OK(dh);
  auto first = fs().readdir_from(*dh, kRootIno, 0, 3);
  ASSERT_OK(first);
  ASSERT_EQ(first->size(), 3u);
  EXPECT_EQ((*first)[0].name, ".");
  EXPECT_EQ((*first)[1].name, "..");
  put_file(fs(), kRootIno, "a", kContent);  // sorts before "b": must not shift the stream
  auto rest = fs().readdir_from(*dh, kRootIno, 3, 100);
  ASSERT_OK(rest);
  std::vector<std::string> names;
  for (const auto& e : *first) names.push_back(e.name);
  for (const auto& e : *rest) names.push_back(e.name);
  EXPECT_EQ(names, (std::vector<std::string>{".", "..", "b", "original"}));
  auto rewound = fs().readdir_from(*dh, kRootIno, 0, 100);
  ASSERT_OK(rewound);
  EXPECT_EQ(rewound->size(), 5u) << "a rewind lists afresh";
  ASSERT_OK(fs().releasedir(*dh));
  EXPECT_ERRC(fs().readdir_from(*dh, kRootIno, 0, 1), Errc::invalid_argument);
}

TEST_F(FsIdDirectory, ANameThatIsNoIdIsNotFound) {
  EXPECT_ERRC(fs().lookup(kIdsIno, "not-an-id"), Errc::not_found);
}

TEST_F(FsIdDirectory, PlaceSharedPutsTheFileAtAPathAsTheCaller) {
  const FileId id = shared_id();
  ASSERT_OK(fs().mkdir(kCaller, kRootIno, "sub", 0755));
  auto placed = place_shared(fs(), kCaller, id, "sub/./copy");
  ASSERT_OK(placed);
  EXPECT_EQ(placed->name, "copy");
  EXPECT_EQ(placed->attr.uid, kCaller.uid);
  EXPECT_TRUE(read_all(fs(), placed->attr.ino) == kContent);
  // Placed files are the caller's own: writable.
  auto fh = fs().open(placed->attr.ino, O_WRONLY);
  ASSERT_OK(fh);
  ASSERT_OK(fs().release(*fh));
}

TEST_F(FsIdDirectory, PlaceSharedRefusesWhatTheKernelWould) {
  const FileId id = shared_id();
  ASSERT_OK(fs().mkdir(kCaller, kRootIno, "mine", 0755));
  const Caller other{2000, 2000, 022};
  EXPECT_ERRC(place_shared(fs(), other, id, "mine/x"), Errc::permission_denied);
  EXPECT_ERRC(place_shared(fs(), kCaller, id, "mine/../x"), Errc::invalid_argument);
  const Caller root{0, 0, 022};  // the root directory is root's
  EXPECT_ERRC(place_shared(fs(), root, id, "original"), Errc::already_exists);
  EXPECT_ERRC(place_shared(fs(), kCaller, id, "missing/x"), Errc::not_found);
  EXPECT_ERRC(place_shared(fs(), kCaller, id, "original/x"), Errc::not_directory);
  EXPECT_ERRC(place_shared(fs(), root, id, ".dfs/ids/x"), Errc::read_only);
  EXPECT_ERRC(place_shared(fs(), root, id, ".dfs"), Errc::already_exists);
  auto missing = place_shared(fs(), kCaller, id, "mine/x");
  EXPECT_TRUE(missing.ok());
}

}  // namespace
}  // namespace dfs::fs
