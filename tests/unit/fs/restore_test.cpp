// FileSystem::restore (issue 15, dfsmount --recover): a namespace backup
// taken at one peer rebuilds an empty namespace at another, whole, with
// its metadata; a broken or hostile one leaves the namespace empty.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>

#include "dfs/chunk/directory.hpp"
#include "fs_test_util.hpp"

namespace dfs::fs {
namespace {

using testing::kCaller;
using testing::OnePeerNetwork;
using testing::Peer;
using testing::put_file;
using testing::read_all;

Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }

class Restore : public ::testing::Test {
 protected:
  Restore() { fresh.set_network(&network); }

  // The lost machine's tree: d/{f (0640, xattr), g (a hard link of f),
  // l -> f, null (a device), fifo, e/big (several chunks, an old mtime)}.
  FileId back_up() {
    FileSystem& fs = lost.fs();
    d_ = fs.mkdir(kCaller, kRootIno, "d", 0750).value().ino;
    f_ = put_file(fs, d_, "f", as_bytes("hello"));
    SetAttr mode;
    mode.mode = 0640;
    EXPECT_TRUE(fs.setattr(kCaller, f_, mode, std::nullopt).ok());
    EXPECT_TRUE(fs.link(f_, d_, "g").ok());
    EXPECT_TRUE(fs.setxattr(f_, "user.color", as_bytes("blue"), 0).ok());
    EXPECT_TRUE(fs.symlink(kCaller, "f", d_, "l").ok());
    EXPECT_TRUE(fs.mknod(kCaller, d_, "null", S_IFCHR | 0666, makedev(1, 3)).ok());
    EXPECT_TRUE(fs.mknod(kCaller, d_, "fifo", S_IFIFO | 0600, 0).ok());
    const Ino e = fs.mkdir(kCaller, d_, "e", 0700).value().ino;
    big_.assign(2 * kDefaultChunkSize + 17, 0);
    for (std::size_t i = 0; i < big_.size(); ++i) big_[i] = static_cast<std::uint8_t>(i * 31);
    const Ino big = put_file(fs, e, "big", big_);
    SetAttr old;
    old.mtime = Timespec{1'600'000'000, 123};
    old.atime = Timespec{1'600'000'100, 0};
    EXPECT_TRUE(fs.setattr(kCaller, big, old, std::nullopt).ok());
    auto snap = fs.snapshot(kRootIno, SnapshotScope::namespace_backup);
    EXPECT_TRUE(snap.ok()) << snap.error().to_string();
    return snap.ok() ? snap->id : FileId{};
  }

  Attr at(Ino dir, const std::string& name) {
    auto attr = fresh.fs().lookup(dir, name);
    EXPECT_TRUE(attr.ok()) << name << ": " << attr.error().to_string();
    return attr.ok() ? *attr : Attr{};
  }

  Peer lost, fresh;
  OnePeerNetwork network{lost.store()};
  Ino d_ = 0, f_ = 0;
  Bytes big_;
};

TEST_F(Restore, ABackupRebuildsTheTreeWithModesTimesLinksXattrsAndDevices) {
  const FileId root = back_up();
  auto restored = fresh.fs().restore(root);
  ASSERT_TRUE(restored.ok()) << restored.error().to_string();
  EXPECT_EQ(restored->files, 2u);
  EXPECT_EQ(restored->directories, 2u);
  EXPECT_EQ(restored->others, 3u);
  EXPECT_EQ(restored->bytes, big_.size() + 5);

  FileSystem& fs = fresh.fs();
  const Attr d = at(kRootIno, "d");
  EXPECT_EQ(d.mode, S_IFDIR | 0750u);
  EXPECT_EQ(d.nlink, 3u);  // ".", its entry, e's ".."
  EXPECT_EQ(fs.getattr(kRootIno).value().nlink, 3u);
  const Attr f = at(d.ino, "f");
  EXPECT_EQ(f.mode, S_IFREG | 0640u);
  EXPECT_EQ(f.uid, kCaller.uid);
  EXPECT_EQ(f.nlink, 2u);
  EXPECT_EQ(at(d.ino, "g").ino, f.ino);  // one inode again
  EXPECT_EQ(read_all(fs, f.ino), bytes_of("hello"));
  EXPECT_EQ(fs.getxattr(f.ino, "user.color").value(), bytes_of("blue"));
  EXPECT_EQ(fs.readlink(at(d.ino, "l").ino).value(), "f");
  const Attr null = at(d.ino, "null");
  EXPECT_EQ(null.mode, S_IFCHR | 0644u);  // as made (umask 022)
  EXPECT_EQ(null.rdev, makedev(1, 3));
  EXPECT_EQ(at(d.ino, "fifo").mode, S_IFIFO | 0600u);
  const Attr big = at(at(d.ino, "e").ino, "big");
  EXPECT_EQ(big.mtime, (Timespec{1'600'000'000, 123}));
  EXPECT_EQ(big.atime, (Timespec{1'600'000'100, 0}));
  EXPECT_EQ(read_all(fs, big.ino), big_);  // fetched from the lost machine's peers
  EXPECT_EQ(fs.file_id(big.ino).value(), lost.fs().file_id(lost.fs().lookup(
                                              lost.fs().lookup(d_, "e").value().ino, "big").value().ino).value());
}

// The mount root has no entry of its own: the snapshot's self block
// (directory format 4) carries its mode, owner, times and xattrs.
TEST_F(Restore, TheRootsOwnModeTimesAndXattrsAreRestored) {
  FileSystem& fs = lost.fs();
  ASSERT_TRUE(fs.setxattr(kRootIno, "user.root", as_bytes("top"), 0).ok());
  SetAttr attr;
  attr.mode = 0701;
  attr.mtime = Timespec{1'500'000'000, 42};
  attr.atime = Timespec{1'500'000'100, 0};
  ASSERT_TRUE(fs.setattr(kCaller, kRootIno, attr, std::nullopt).ok());  // before the entries: they touch mtime
  const FileId root = back_up();
  const Attr before = fs.getattr(kRootIno).value();
  ASSERT_TRUE(fresh.fs().restore(root).ok());
  const Attr after = fresh.fs().getattr(kRootIno).value();
  EXPECT_EQ(after.mode, S_IFDIR | 0701u);
  EXPECT_EQ(after.mtime, before.mtime);
  EXPECT_EQ(after.atime, before.atime);
  EXPECT_EQ(after.uid, before.uid);
  EXPECT_EQ(after.nlink, 3u);
  EXPECT_EQ(fresh.fs().getxattr(kRootIno, "user.root").value(), bytes_of("top"));
}

// A snapshot written before the self block (its root re-sealed here the
// old way, without one) still recovers; the root keeps the mount's own
// attributes.
TEST_F(Restore, ASnapshotFromBeforeTheRootsOwnAttributesStillRestores) {
  const FileId root = back_up();
  auto fetch = [&](const ChunkId& c) { return lost.store().get(c); };
  Directory top = load_directory(root.key, root.manifest, fetch).value();
  ASSERT_TRUE(top.self.has_value());
  top.self.reset();
  const SealedManifest old = seal_directory(top).value();
  for (const SealedChunk& segment : old.segments) ASSERT_TRUE(lost.store().put(segment.id, segment.bytes).ok());
  const Attr mount_root = fresh.fs().getattr(kRootIno).value();

  auto restored = fresh.fs().restore(FileId{old.head, old.key, IdKind::directory});
  ASSERT_TRUE(restored.ok()) << restored.error().to_string();
  EXPECT_EQ(restored->files, 2u);
  const Attr after = fresh.fs().getattr(kRootIno).value();
  EXPECT_EQ(after.mode, mount_root.mode);
  EXPECT_EQ(after.uid, mount_root.uid);
  EXPECT_EQ(at(kRootIno, "d").mode, S_IFDIR | 0750u);
}

// The restore fills the snapshot cache from what it loaded: the recovered
// namespace's next snapshot seals nothing and stores no byte, and the
// index names the directory manifests (kept from GC, their leases renewed).
TEST_F(Restore, TheFirstSnapshotAfterARestoreSealsNothing) {
  const FileId root = back_up();
  ASSERT_TRUE(fresh.fs().restore(root).ok());
  auto snap = fresh.fs().snapshot(kRootIno, SnapshotScope::namespace_backup);
  ASSERT_TRUE(snap.ok()) << snap.error().to_string();
  EXPECT_EQ(snap->sealed, 0u);
  EXPECT_TRUE(snap->new_chunks.empty());
  const auto referenced = fresh.index().referenced_chunks().value();
  // d/e, as the backup names it (d itself, holding hard links, is sealed anew).
  auto fetch = [&](const ChunkId& c) { return lost.store().get(c); };
  const FileId d_id = *load_directory(root.key, root.manifest, fetch).value().find("d")->id;
  const FileId e_id = *load_directory(d_id.key, d_id.manifest, fetch).value().find("e")->id;
  EXPECT_NE(std::find(referenced.begin(), referenced.end(), e_id.manifest), referenced.end());
}

// Without hard links (whose link numbers are inode numbers, new ones here)
// the restored tree's snapshot is the recovered one itself.
TEST_F(Restore, ATreeWithoutHardLinksSnapshotsToTheIdItWasRecoveredFrom) {
  FileSystem& fs = lost.fs();
  const Ino dir = fs.mkdir(kCaller, kRootIno, "plain", 0755).value().ino;
  put_file(fs, dir, "f", as_bytes("contents"));
  const FileId root = fs.snapshot(kRootIno, SnapshotScope::namespace_backup).value().id;
  ASSERT_TRUE(fresh.fs().restore(root).ok());
  EXPECT_EQ(fresh.fs().snapshot(kRootIno, SnapshotScope::namespace_backup).value().id, root);
}

TEST_F(Restore, TheRestoredNamespaceKeepsItsChunksFromGc) {
  const FileId root = back_up();
  ASSERT_TRUE(fresh.fs().restore(root).ok());
  const FileId big = lost.fs().file_id(lost.fs().lookup(lost.fs().lookup(d_, "e").value().ino, "big").value().ino).value();
  EXPECT_TRUE(fresh.index().is_referenced(big.manifest).value());
}

TEST_F(Restore, ANamespaceThatIsNotEmptyIsNotRestoredOver) {
  const FileId root = back_up();
  put_file(fresh.fs(), kRootIno, "mine", as_bytes("x"));
  auto restored = fresh.fs().restore(root);
  ASSERT_FALSE(restored.ok());
  EXPECT_EQ(restored.error().code, Errc::already_exists);
  EXPECT_EQ(fresh.fs().readdir(kRootIno).value().size(), 1u);  // mine
}

TEST_F(Restore, AFileThatCannotBeFetchedLeavesTheNamespaceEmpty) {
  const FileId root = back_up();
  const FileId f = lost.fs().file_id(f_).value();
  ASSERT_TRUE(lost.store().remove(f.manifest).ok());
  auto restored = fresh.fs().restore(root);
  ASSERT_FALSE(restored.ok());
  EXPECT_NE(restored.error().message.find("\"f\""), std::string::npos) << restored.error().message;
  EXPECT_TRUE(fresh.fs().readdir(kRootIno).value().empty());
}

TEST_F(Restore, AFileIdIsNotANamespace) {
  back_up();
  auto restored = fresh.fs().restore(lost.fs().file_id(f_).value());
  ASSERT_FALSE(restored.ok());
  EXPECT_EQ(restored.error().code, Errc::invalid_argument);
}

}  // namespace
}  // namespace dfs::fs
