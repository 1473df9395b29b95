// Directory snapshots (dfs/fs/snapshot.hpp): what they hold, that an
// unchanged tree is not sealed again, and that an edit re-seals only the
// directories on its path.
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "dfs/chunk/directory.hpp"
#include "fs_test_util.hpp"

namespace dfs::fs::testing {
namespace {

class Snapshots : public ::testing::Test {
 protected:
  FileSystem& fs() { return peer_.fs(); }

  Ino mkdir(Ino parent, const std::string& name) { return fs().mkdir(kCaller, parent, name, 0755).value().ino; }

  DirectorySnapshot snap(Ino dir, SnapshotScope scope = SnapshotScope::shared) {
    auto s = fs().snapshot(dir, scope);
    EXPECT_TRUE(s.ok()) << s.error().to_string();
    return s.ok() ? std::move(*s) : DirectorySnapshot{};
  }

  Directory load(const FileId& id) {
    auto d = load_directory(id.key, id.manifest, [this](const ChunkId& c) { return peer_.store().get(c); });
    EXPECT_TRUE(d.ok()) << d.error().to_string();
    return d.ok() ? std::move(*d) : Directory{};
  }

  // root/a/b/c/deep.txt, root/a/side/s.txt, root/top.txt
  void make_tree() {
    a_ = mkdir(kRootIno, "a");
    b_ = mkdir(a_, "b");
    c_ = mkdir(b_, "c");
    side_ = mkdir(a_, "side");
    deep_ = put_file(fs(), c_, "deep.txt", as_bytes("deep"));
    put_file(fs(), side_, "s.txt", as_bytes("side"));
    put_file(fs(), kRootIno, "top.txt", as_bytes("top"));
  }

  Peer peer_;
  Ino a_ = 0, b_ = 0, c_ = 0, side_ = 0, deep_ = 0;
};

TEST_F(Snapshots, ADirectorysIdNamesItsEntriesWithTheirFileIds) {
  const Ino dir = mkdir(kRootIno, "d");
  const Ino f = put_file(fs(), dir, "f", as_bytes("hello"));
  ASSERT_OK(fs().link(f, dir, "hard"));
  ASSERT_OK(fs().symlink(kCaller, "f", dir, "sym"));
  ASSERT_OK(fs().mknod(kCaller, dir, "fifo", S_IFIFO | 0640, 0));
  mkdir(dir, "empty");
  const DirectorySnapshot s = snap(dir);
  EXPECT_TRUE(s.id.is_directory());
  EXPECT_EQ(s.files, 2u);
  EXPECT_EQ(s.size, 10u);
  EXPECT_EQ(fs().file_id(dir).value(), s.id);  // user.dfs.id and dfs id of a directory
  const Directory d = load(s.id);
  ASSERT_EQ(d.entries.size(), 5u);
  const FileId file_id = fs().file_id(f).value();
  EXPECT_EQ(d.find("f")->id, file_id);
  EXPECT_EQ(d.find("hard")->id, file_id);  // hard links: separate entries, same File ID
  EXPECT_EQ(d.find("f")->size, 5u);
  EXPECT_EQ(d.find("f")->mode, 0644u);
  EXPECT_EQ(d.find("sym")->type, EntryType::symlink);
  EXPECT_EQ(d.find("sym")->target, "f");
  EXPECT_EQ(d.find("fifo")->type, EntryType::fifo);
  EXPECT_EQ(d.find("fifo")->mode, 0640u);
  EXPECT_TRUE(d.find("empty")->id->is_directory());
  EXPECT_TRUE(load(*d.find("empty")->id).entries.empty());
  for (const auto& e : d.entries) EXPECT_FALSE(e.has_metadata()) << e.name;  // shared: no owners, xattrs, links
}

TEST_F(Snapshots, AnUnchangedTreeIsNotSealedAgain) {
  make_tree();
  const DirectorySnapshot first = snap(kRootIno);
  EXPECT_EQ(first.sealed, 5u);  // root, a, b, c, side
  EXPECT_FALSE(first.new_chunks.empty());
  const DirectorySnapshot again = snap(kRootIno);
  EXPECT_EQ(again.id, first.id);
  EXPECT_EQ(again.sealed, 0u);
  // A change elsewhere makes the builder read the tree again, but it
  // reuses every cached manifest of the unchanged subtree.
  put_file(fs(), kRootIno, "elsewhere", as_bytes("x"));
  const DirectorySnapshot sub = snap(a_);
  EXPECT_EQ(sub.sealed, 0u);
  EXPECT_EQ(sub.id, *load(first.id).find("a")->id);
}

TEST_F(Snapshots, AnEditReSealsOnlyTheDirectoriesOnItsPath) {
  make_tree();
  const DirectorySnapshot before = snap(kRootIno);
  const Directory a_before = load(*load(before.id).find("a")->id);
  const FileHandle fh = fs().open(deep_, O_WRONLY | O_TRUNC).value();
  ASSERT_OK(fs().write(fh, 0, as_bytes("edited")));
  ASSERT_OK(fs().release(fh));
  const DirectorySnapshot after = snap(kRootIno);
  EXPECT_NE(after.id, before.id);
  EXPECT_EQ(after.sealed, 4u);  // c, b, a, root; not side
  const Directory a_after = load(*load(after.id).find("a")->id);
  EXPECT_EQ(a_after.find("side")->id, a_before.find("side")->id);
  EXPECT_NE(a_after.find("b")->id, a_before.find("b")->id);
  // The replaced manifests are no longer kept; the new ones are.
  for (const ChunkId& c : after.new_chunks) EXPECT_TRUE(peer_.index().is_referenced(c).value());
  EXPECT_FALSE(peer_.index().is_referenced(before.id.manifest).value());
}

TEST_F(Snapshots, TheIdOfAnUnchangedTreeSurvivesARemount) {
  make_tree();
  const FileId before = snap(kRootIno).id;
  peer_.reopen();
  const DirectorySnapshot after = snap(kRootIno);
  EXPECT_EQ(after.id, before);
  EXPECT_EQ(after.sealed, 0u);
}

TEST_F(Snapshots, TheMountsOwnDotDfsIsNotPartOfTheRootsSnapshot) {
  make_tree();
  for (const auto& e : load(snap(kRootIno).id).entries) EXPECT_NE(e.name, ".dfs");
}

TEST_F(Snapshots, ANamespaceBackupCarriesOwnersXattrsDevicesAndHardLinks) {
  const Ino dir = mkdir(kRootIno, "d");
  const Ino f = put_file(fs(), dir, "f", as_bytes("x"));
  ASSERT_OK(fs().link(f, dir, "g"));
  ASSERT_OK(fs().setxattr(f, "user.color", as_bytes("blue"), 0));
  ASSERT_OK(fs().mknod(kCaller, dir, "null", S_IFCHR | 0666, makedev(1, 3)));
  const DirectorySnapshot backup = snap(dir, SnapshotScope::namespace_backup);
  const DirectorySnapshot shared = snap(dir, SnapshotScope::shared);
  EXPECT_NE(backup.id, shared.id);
  const Directory d = load(backup.id);
  const dfs::DirEntry& e = *d.find("f");
  EXPECT_EQ(e.owner, (EntryOwner{kCaller.uid, kCaller.gid}));
  ASSERT_TRUE(e.link.has_value());
  EXPECT_EQ(d.find("g")->link, e.link);
  ASSERT_EQ(e.xattrs.size(), 1u);
  EXPECT_EQ(e.xattrs[0].name, "user.color");
  EXPECT_EQ(e.xattrs[0].value, (Bytes{'b', 'l', 'u', 'e'}));
  EXPECT_EQ(d.find("null")->rdev, makedev(1, 3));
  EXPECT_FALSE(load(shared.id).find("null")->rdev.has_value());
  // An xattr change is a change for the backup.
  ASSERT_OK(fs().setxattr(f, "user.color", as_bytes("red"), 0));
  EXPECT_NE(snap(dir, SnapshotScope::namespace_backup).id, backup.id);
}

TEST_F(Snapshots, OnlyADirectoryHasASnapshot) {
  const Ino f = put_file(fs(), kRootIno, "f", as_bytes("x"));
  EXPECT_ERRC(fs().snapshot(f, SnapshotScope::shared), Errc::not_directory);
  EXPECT_FALSE(fs().file_id(f).value().is_directory());
}

}  // namespace
}  // namespace dfs::fs::testing
