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

}  // namespace
}  // namespace dfs::index
