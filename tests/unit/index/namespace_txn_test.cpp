// NamespaceTxn: the filesystem layer's write transactions (schema v2).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "dfs/index/index.hpp"
#include "index_test_util.hpp"

namespace dfs::index {
namespace {

using testing::IndexTest;

InodeAttr file_inode() {
  InodeAttr attr;
  attr.mode = S_IFREG | 0644;
  attr.nlink = 1;
  return attr;
}

class NamespaceTxnTest : public IndexTest {
 protected:
  void SetUp() override {
    IndexTest::SetUp();
    index = open_index();
    ASSERT_NE(index, nullptr);
  }
  NamespaceTxn begin() { return std::move(index->begin_namespace()).value(); }
  std::unique_ptr<Index> index;
};

TEST_F(NamespaceTxnTest, ACommittedTransactionIsVisible) {
  NamespaceTxn txn = begin();
  auto ino = txn.create_inode(file_inode());
  ASSERT_OK(ino);
  ASSERT_OK(txn.add_entry(kRootIno, "f", *ino));
  ASSERT_OK(txn.commit());
  EXPECT_EQ(*index->lookup(kRootIno, "f"), std::optional<std::uint64_t>(*ino));
}

TEST_F(NamespaceTxnTest, ADroppedTransactionRollsBack) {
  {
    NamespaceTxn txn = begin();
    auto ino = txn.create_inode(file_inode());
    ASSERT_OK(ino);
    ASSERT_OK(txn.add_entry(kRootIno, "f", *ino));
  }
  EXPECT_FALSE(index->lookup(kRootIno, "f")->has_value());
}

TEST_F(NamespaceTxnTest, RemoveEntryAndDeleteInode) {
  NamespaceTxn txn = begin();
  auto ino = txn.create_inode(file_inode());
  ASSERT_OK(ino);
  ASSERT_OK(txn.add_entry(kRootIno, "f", *ino));
  EXPECT_FALSE(txn.delete_inode(*ino).ok());  // still linked
  ASSERT_OK(txn.remove_entry(kRootIno, "f"));
  EXPECT_EQ(txn.remove_entry(kRootIno, "f").error().code, Errc::not_found);
  ASSERT_OK(txn.delete_inode(*ino));
  EXPECT_EQ(txn.get_inode(*ino).error().code, Errc::not_found);
  ASSERT_OK(txn.commit());
}

TEST_F(NamespaceTxnTest, UpdateInodeWritesEveryField) {
  NamespaceTxn txn = begin();
  auto ino = txn.create_inode(file_inode());
  ASSERT_OK(ino);
  InodeAttr changed = *txn.get_inode(*ino);
  changed.mode = S_IFREG | 0600;
  changed.size = 42;
  changed.manifest = testing::id(9);
  changed.file_key = testing::key(3);
  ASSERT_OK(txn.update_inode(changed));
  ASSERT_OK(txn.commit());
  EXPECT_EQ(*index->get_inode(*ino), changed);
}

TEST_F(NamespaceTxnTest, XattrsHonourCreateAndReplace) {
  NamespaceTxn txn = begin();
  ASSERT_OK(txn.set_xattr(kRootIno, "user.a", as_bytes("1"), XattrMode::create_only));
  EXPECT_EQ(txn.set_xattr(kRootIno, "user.a", as_bytes("2"), XattrMode::create_only).error().code,
            Errc::already_exists);
  EXPECT_EQ(txn.set_xattr(kRootIno, "user.b", as_bytes("2"), XattrMode::replace_only).error().code, Errc::not_found);
  ASSERT_OK(txn.set_xattr(kRootIno, "user.a", as_bytes("3"), XattrMode::replace_only));
  EXPECT_EQ(**txn.get_xattr(kRootIno, "user.a"), Bytes{'3'});
  EXPECT_EQ(*txn.list_xattrs(kRootIno), std::vector<std::string>{"user.a"});
  EXPECT_TRUE(*txn.remove_xattr(kRootIno, "user.a"));
  EXPECT_FALSE(*txn.remove_xattr(kRootIno, "user.a"));
  ASSERT_OK(txn.commit());
}

TEST_F(NamespaceTxnTest, AVersionIsForgottenOnlyWhenNoInodePointsAtIt) {
  FileRecord version = testing::file(1);
  std::uint64_t ino = 0;
  {
    NamespaceTxn txn = begin();
    InodeAttr inode = file_inode();
    inode.manifest = version.manifest;
    inode.file_key = version.key;
    auto created = txn.create_inode(inode);
    ASSERT_OK(created);
    ino = *created;
    ASSERT_OK(txn.record_version(version, {testing::id(100)}));
    ASSERT_OK(txn.release_version(version.manifest));  // still pointed at
    ASSERT_OK(txn.commit());
  }
  EXPECT_TRUE(*index->is_referenced(testing::id(100)));
  {
    NamespaceTxn txn = begin();
    ASSERT_OK(txn.delete_inode(ino));
    ASSERT_OK(txn.release_version(version.manifest));
    ASSERT_OK(txn.commit());
  }
  EXPECT_FALSE(*index->is_referenced(testing::id(100)));
  EXPECT_FALSE(index->find_file(version.manifest)->has_value());
}

// Schema v11: a version's files row keeps its own manifest chunk from GC,
// so no chunk_refs row is written for it (one page fewer per commit).
TEST_F(NamespaceTxnTest, AVersionKeepsItsManifestChunkWithoutARefRowForIt) {
  FileRecord version = testing::file(1);
  {
    NamespaceTxn txn = begin();
    ASSERT_OK(txn.record_version(version, {version.manifest, testing::id(100)}));
    ASSERT_OK(txn.commit());
  }
  {
    Database db = open_raw();
    auto refs = db.prepare("SELECT count(*) FROM chunk_refs WHERE chunk_id = ?");
    ASSERT_OK(refs);
    ASSERT_OK(refs->bind_all(version.manifest.bytes));
    ASSERT_TRUE(*refs->step());
    EXPECT_EQ(refs->column_int64(0), 0);
  }
  EXPECT_TRUE(*index->is_referenced(version.manifest));
  EXPECT_TRUE(index->unreferenced({version.manifest})->empty());
  EXPECT_TRUE(index->collectable({version.manifest}, 0)->empty());
  auto all = index->referenced_chunks();
  ASSERT_OK(all);
  EXPECT_EQ(all->size(), 2u);
  EXPECT_EQ(*index->referenced_chunk_count(), 2u);
  {
    NamespaceTxn txn = begin();
    ASSERT_OK(txn.release_version(version.manifest));
    ASSERT_OK(txn.commit());
  }
  EXPECT_FALSE(*index->is_referenced(version.manifest));
  EXPECT_EQ(*index->unreferenced({version.manifest}), std::vector<ChunkId>{version.manifest});
}

TEST_F(NamespaceTxnTest, AFileRecordedByPutIsNeverReleased) {
  FileRecord put = testing::file(2);
  ASSERT_OK(index->record_file(put, {testing::id(7)}));
  NamespaceTxn txn = begin();
  ASSERT_OK(txn.record_version(put, {}));  // already there: left as it is
  ASSERT_OK(txn.release_version(put.manifest));
  ASSERT_OK(txn.commit());
  EXPECT_TRUE(index->find_file(put.manifest)->has_value());
  EXPECT_TRUE(*index->is_referenced(testing::id(7)));
}

TEST_F(NamespaceTxnTest, RemovingAPutFileTheMountStillUsesHandsItToTheMountUntilItIsReleased) {
  FileRecord put = testing::file(3);
  ASSERT_OK(index->record_file(put, {testing::id(8)}));
  std::uint64_t ino = 0;
  {
    NamespaceTxn txn = begin();
    InodeAttr inode = file_inode();  // placed by dfs open
    inode.manifest = put.manifest;
    inode.file_key = put.key;
    ino = *txn.create_inode(inode);
    ASSERT_OK(txn.record_version(put, {}));
    ASSERT_OK(txn.commit());
  }
  ASSERT_OK(index->forget_put(put.manifest));
  ASSERT_TRUE(index->find_file(put.manifest)->has_value());
  EXPECT_TRUE(index->find_file(put.manifest)->value().from_mount);
  EXPECT_TRUE(*index->is_referenced(testing::id(8)));
  {
    NamespaceTxn txn = begin();
    ASSERT_OK(txn.delete_inode(ino));
    ASSERT_OK(txn.release_version(put.manifest));
    ASSERT_OK(txn.commit());
  }
  EXPECT_FALSE(index->find_file(put.manifest)->has_value());
  EXPECT_FALSE(*index->is_referenced(testing::id(8)));
}

TEST_F(NamespaceTxnTest, RemovingAPutFileNothingUsesForgetsItAndItsReferences) {
  FileRecord put = testing::file(4);
  ASSERT_OK(index->record_file(put, {testing::id(9)}));
  ASSERT_OK(index->set_pinned(put.manifest, true));
  ASSERT_OK(index->forget_put(put.manifest));
  EXPECT_FALSE(index->find_file(put.manifest)->has_value());
  EXPECT_FALSE(*index->is_referenced(testing::id(9)));
  EXPECT_EQ(index->forget_put(put.manifest).error().code, Errc::not_found);
}

TEST_F(NamespaceTxnTest, OrphansAreTheInodesWithoutLinks) {
  NamespaceTxn txn = begin();
  InodeAttr orphan = file_inode();
  orphan.nlink = 0;
  auto ino = txn.create_inode(orphan);
  ASSERT_OK(ino);
  EXPECT_EQ(*txn.orphans(), std::vector<std::uint64_t>{*ino});
  EXPECT_EQ(*txn.inode_count(), 2u);
  ASSERT_OK(txn.commit());
}

// --- Deferred durability (schema v4) ----------------------------------------

class UnsyncedVersionsTest : public NamespaceTxnTest {
 protected:
  // Points `ino` (created on first use) at `version` in one commit that
  // notes the version it replaced, as the filesystem's close does.
  void commit_version(const FileRecord& version) {
    NamespaceTxn txn = begin();
    InodeAttr inode = file_inode();
    if (ino_ == 0) {
      auto created = txn.create_inode(inode);
      ASSERT_OK(created);
      ino_ = *created;
    }
    inode = *txn.get_inode(ino_);
    UnsyncedVersion note{0, ino_, version.manifest, inode.manifest, inode.file_key, inode.size, inode.mtime_ns};
    inode.manifest = version.manifest;
    inode.file_key = version.key;
    ASSERT_OK(txn.update_inode(inode));
    ASSERT_OK(txn.record_version(version, {version.manifest}));
    ASSERT_OK(txn.record_unsynced_version(note));
    ASSERT_OK(txn.commit());
  }
  bool recorded(const FileRecord& version) { return index->find_file(version.manifest)->has_value(); }

  std::uint64_t ino_ = 0;
};

TEST_F(UnsyncedVersionsTest, ACommitRaisesTheFlagAndMakeDurableSettlesAfterSyncingTheChunks) {
  FileRecord v1 = testing::file(1), v2 = testing::file(2);
  commit_version(v1);
  commit_version(v2);
  EXPECT_TRUE(index->has_unsynced_changes());
  auto notes = index->unsynced_versions();
  ASSERT_OK(notes);
  ASSERT_EQ(notes->size(), 2u);
  EXPECT_EQ(notes->at(1).manifest, v2.manifest);
  EXPECT_EQ(notes->at(1).previous_manifest, std::optional<ChunkId>(v1.manifest));
  EXPECT_LT(notes->at(0).seq, notes->at(1).seq);
  EXPECT_TRUE(recorded(v1));  // replaced, but kept until v2 is durable

  bool chunks_synced = false;
  ASSERT_OK(index->make_durable([&] {
    chunks_synced = true;
    return Status{};
  }));
  EXPECT_TRUE(chunks_synced);
  EXPECT_FALSE(index->has_unsynced_changes());
  EXPECT_TRUE(index->unsynced_versions()->empty());
  EXPECT_FALSE(recorded(v1));
  EXPECT_TRUE(recorded(v2));
}

TEST_F(UnsyncedVersionsTest, AFailedChunkSyncSettlesNothing) {
  FileRecord v1 = testing::file(1), v2 = testing::file(2);
  commit_version(v1);
  commit_version(v2);
  Status failed = index->make_durable([] { return Status(make_error(Errc::io_error, "disk gone")); });
  EXPECT_FALSE(failed.ok());
  EXPECT_TRUE(index->has_unsynced_changes());
  EXPECT_EQ(index->unsynced_versions()->size(), 2u);
  EXPECT_TRUE(recorded(v1));
}

TEST_F(UnsyncedVersionsTest, AVersionALaterNoteMayGoBackToIsKept) {
  FileRecord v1 = testing::file(1), v2 = testing::file(2), v3 = testing::file(3);
  commit_version(v1);
  ASSERT_OK(index->make_durable({}));
  commit_version(v2);
  // v3 commits while the chunks sync: make_durable settles v2's note only,
  // and must keep v2 recorded, since v3's note still goes back to it.
  ASSERT_OK(index->make_durable([&] {
    commit_version(v3);
    return Status{};
  }));
  EXPECT_FALSE(recorded(v1));
  EXPECT_TRUE(recorded(v2));
  auto notes = index->unsynced_versions();
  ASSERT_OK(notes);
  ASSERT_EQ(notes->size(), 1u);
  EXPECT_EQ(notes->front().manifest, v3.manifest);
  EXPECT_TRUE(index->has_unsynced_changes());
  ASSERT_OK(index->make_durable({}));
  EXPECT_FALSE(recorded(v2));
  EXPECT_TRUE(recorded(v3));
}

TEST_F(UnsyncedVersionsTest, ANoteNeedsBothOrNeitherOfThePreviousManifestAndKey) {
  NamespaceTxn txn = begin();
  UnsyncedVersion note{0, 1, testing::id(1), testing::id(2), std::nullopt, 0, 0};
  EXPECT_FALSE(txn.record_unsynced_version(note).ok());
}

}  // namespace
}  // namespace dfs::index
