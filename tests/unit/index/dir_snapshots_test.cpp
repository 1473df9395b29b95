// The snapshot builder's cache (schema v8): what it keeps from GC, and that
// it goes with its directory.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <ctime>

#include "dfs/index/index.hpp"
#include "index_test_util.hpp"

namespace dfs::index {
namespace {

using testing::IndexTest;
using testing::id;

class DirSnapshotsTest : public IndexTest {
 protected:
  void SetUp() override {
    IndexTest::SetUp();
    index = open_index();
    ASSERT_NE(index, nullptr);
  }
  std::uint64_t make_dir(const std::string& name) {
    NamespaceTxn txn = std::move(index->begin_namespace()).value();
    InodeAttr attr;
    attr.mode = S_IFDIR | 0755;
    attr.nlink = 2;
    const std::uint64_t ino = txn.create_inode(attr).value();
    EXPECT_TRUE(txn.add_entry(kRootIno, name, ino).ok());
    EXPECT_TRUE(txn.commit().ok());
    return ino;
  }
  DirSnapshotRecord record(std::uint64_t ino, std::uint32_t n) {
    DirSnapshotRecord r;
    r.ino = ino;
    r.fingerprint.fill(static_cast<std::uint8_t>(n));
    r.manifest = id(n);
    r.key = testing::key(7);
    r.size = 10 * n;
    r.files = n;
    r.segments = {id(n), id(n + 1000)};
    return r;
  }
  std::unique_ptr<Index> index;
};

TEST_F(DirSnapshotsTest, ASavedSnapshotIsFoundAndKeepsItsSegmentsFromGc) {
  const std::uint64_t dir = make_dir("d");
  EXPECT_FALSE(index->find_dir_snapshot(dir, 0).value().has_value());
  ASSERT_OK(index->save_dir_snapshot(record(dir, 1)));
  auto found = index->find_dir_snapshot(dir, 0).value();
  ASSERT_TRUE(found.has_value());
  DirSnapshotRecord expected = record(dir, 1);
  expected.segments.clear();
  EXPECT_EQ(*found, expected);
  EXPECT_FALSE(index->find_dir_snapshot(dir, 1).value().has_value());  // another scope
  EXPECT_TRUE(index->is_referenced(id(1001)).value());
  EXPECT_TRUE(index->unreferenced({id(1), id(1001), id(5)}).value() == std::vector<ChunkId>{id(5)});
  EXPECT_TRUE(index->collectable({id(1), id(5)}, 0).value() == std::vector<ChunkId>{id(5)});
  const auto referenced = index->referenced_chunks().value();
  EXPECT_EQ(referenced.size(), 2u);
  EXPECT_EQ(index->referenced_chunk_count().value(), 2u);
}

TEST_F(DirSnapshotsTest, ANewSnapshotReleasesTheOldOnesSegments) {
  const std::uint64_t dir = make_dir("d");
  ASSERT_OK(index->save_dir_snapshot(record(dir, 1)));
  ASSERT_OK(index->save_dir_snapshot(record(dir, 2)));
  EXPECT_FALSE(index->is_referenced(id(1)).value());
  EXPECT_TRUE(index->is_referenced(id(2)).value());
  EXPECT_EQ(index->find_dir_snapshot(dir, 0).value()->manifest, id(2));
}

TEST_F(DirSnapshotsTest, TheSnapshotGoesWithItsDirectory) {
  const std::uint64_t dir = make_dir("d");
  ASSERT_OK(index->save_dir_snapshot(record(dir, 1)));
  NamespaceTxn txn = std::move(index->begin_namespace()).value();
  ASSERT_OK(txn.remove_entry(kRootIno, "d"));
  ASSERT_OK(txn.delete_inode(dir));
  ASSERT_OK(txn.commit());
  EXPECT_FALSE(index->is_referenced(id(1001)).value());
  EXPECT_EQ(index->save_dir_snapshot(record(dir, 3)).error().code, Errc::not_found);
}

TEST_F(DirSnapshotsTest, EveryNamespaceCommitCountsAsAChangeAndASaveDoesNot) {
  const std::uint64_t before = index->namespace_changes();
  const std::uint64_t dir = make_dir("d");
  const std::uint64_t after = index->namespace_changes();
  EXPECT_GT(after, before);
  ASSERT_OK(index->save_dir_snapshot(record(dir, 1)));
  EXPECT_EQ(index->namespace_changes(), after);
}

TEST_F(DirSnapshotsTest, ChildrenComeWithTheirInodesAndXattrs) {
  const std::uint64_t a = make_dir("a");
  make_dir("b");
  NamespaceTxn txn = std::move(index->begin_namespace()).value();
  ASSERT_OK(txn.set_xattr(a, "user.k", as_bytes("v"), XattrMode::create_or_replace));
  ASSERT_OK(txn.commit());
  auto children = index->list_children(kRootIno, true).value();
  ASSERT_EQ(children.size(), 2u);
  EXPECT_EQ(children[0].name, "a");
  EXPECT_EQ(children[0].attr.ino, a);
  EXPECT_TRUE(S_ISDIR(children[0].attr.mode));
  ASSERT_EQ(children[0].xattrs.size(), 1u);
  EXPECT_EQ(children[0].xattrs[0].first, "user.k");
  EXPECT_TRUE(children[1].xattrs.empty());
  EXPECT_TRUE(index->list_children(kRootIno, false).value()[0].xattrs.empty());
}

// Issue 15: while namespace snapshots are kept, what the namespace lets go
// of stays referenced until the oldest snapshot kept was taken after it.
class RetentionTest : public DirSnapshotsTest {
 protected:
  static std::int64_t now() { return static_cast<std::int64_t>(::time(nullptr)); }

  // A version at a new inode (its chunk `chunk`), then the inode deleted
  // and the version released, as an unlink does.
  void release_a_version(std::uint32_t n, std::uint32_t chunk) {
    FileRecord version = testing::file(n);
    NamespaceTxn txn = std::move(index->begin_namespace()).value();
    InodeAttr inode;
    inode.mode = S_IFREG | 0644;
    inode.nlink = 1;
    inode.manifest = version.manifest;
    inode.file_key = version.key;
    const std::uint64_t ino = txn.create_inode(inode).value();
    ASSERT_OK(txn.record_version(version, {id(chunk)}));
    ASSERT_OK(txn.delete_inode(ino));
    ASSERT_OK(txn.release_version(version.manifest));
    ASSERT_OK(txn.commit());
  }
};

TEST_F(RetentionTest, WithoutSnapshotsKeptAReleasedVersionGoesAtOnce) {
  release_a_version(1, 100);
  EXPECT_FALSE(index->is_referenced(id(100)).value());
}

TEST_F(RetentionTest, AReleasedVersionIsKeptUntilEverySnapshotKeptIsNewerThanItsRelease) {
  ASSERT_OK(index->retain_snapshots(std::nullopt));  // snapshots on, none published yet
  release_a_version(1, 100);
  EXPECT_TRUE(index->is_referenced(id(100)).value());
  EXPECT_TRUE(index->unreferenced({id(100)}).value().empty());
  EXPECT_TRUE(index->collectable({id(100)}, now()).value().empty());
  // Its manifest chunk too: the files row named it, not a chunk_refs row.
  const ChunkId manifest = testing::file(1).manifest;
  EXPECT_TRUE(index->is_referenced(manifest).value());
  EXPECT_EQ(index->referenced_chunk_count().value(), 2u);
  EXPECT_EQ(index->retain_snapshots(now() - 3600).value(), 0u);  // a snapshot from before the release names it
  EXPECT_TRUE(index->is_referenced(id(100)).value());
  EXPECT_EQ(index->retain_snapshots(now() + 3600).value(), 2u);  // the oldest kept is newer: let go
  EXPECT_FALSE(index->is_referenced(id(100)).value());
  EXPECT_FALSE(index->is_referenced(manifest).value());
}

TEST_F(RetentionTest, ABackupDirectorysOldSegmentsAreKeptAndAnotherScopesAreNot) {
  ASSERT_OK(index->retain_snapshots(std::nullopt));
  const std::uint64_t dir = make_dir("d");
  DirSnapshotRecord backup = record(dir, 1);
  backup.scope = 1;  // SnapshotScope::namespace_backup
  ASSERT_OK(index->save_dir_snapshot(backup));
  ASSERT_OK(index->save_dir_snapshot(record(dir, 3)));  // scope 0, shared
  DirSnapshotRecord next = record(dir, 2);
  next.scope = 1;
  ASSERT_OK(index->save_dir_snapshot(next));
  ASSERT_OK(index->save_dir_snapshot(record(dir, 4)));
  EXPECT_TRUE(index->is_referenced(id(1001)).value());   // the old backup's
  EXPECT_FALSE(index->is_referenced(id(1003)).value());  // the old shared one's
  ASSERT_OK(index->stop_retaining_snapshots());
  EXPECT_FALSE(index->is_referenced(id(1001)).value());
  EXPECT_TRUE(index->is_referenced(id(1002)).value());  // the current backup's, as ever
}

}  // namespace
}  // namespace dfs::index
