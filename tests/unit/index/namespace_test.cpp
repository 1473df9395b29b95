// Index: the mount's namespace (inodes, directory entries).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <limits>

#include "dfs/index/index.hpp"
#include "index_test_util.hpp"

namespace dfs::index {
namespace {

using testing::id;
using testing::key;

InodeAttr regular_file() {
  InodeAttr attr;
  attr.mode = S_IFREG | 0640;
  attr.uid = 1000;
  attr.gid = 100;
  attr.nlink = 1;
  attr.size = 5'000'000;
  attr.atime_ns = 1'700'000'000'123'456'789;
  attr.mtime_ns = 1'700'000'001'000'000'000;
  attr.ctime_ns = -1;  // before the epoch: still stored as given
  attr.manifest = id(1);
  attr.file_key = key(0x5a);
  attr.generation = 7;
  return attr;
}

InodeAttr directory() {
  InodeAttr attr;
  attr.mode = S_IFDIR | 0700;
  attr.nlink = 2;
  return attr;
}

class NamespaceTest : public testing::IndexTest {
 protected:
  void SetUp() override {
    IndexTest::SetUp();
    index_ = open_index();
    ASSERT_NE(index_, nullptr);
  }

  std::uint64_t create(const InodeAttr& attr) {
    auto ino = index_->create_inode(attr);
    EXPECT_OK(ino);
    return ino.ok() ? *ino : 0;
  }

  Errc add_entry_error(std::uint64_t parent, const std::string& name, std::uint64_t ino) {
    Status status = index_->add_entry(parent, name, ino);
    EXPECT_FALSE(status.ok()) << "adding '" << name << "' succeeded";
    return status.ok() ? Errc::internal : status.error().code;
  }

  std::unique_ptr<Index> index_;
};

TEST_F(NamespaceTest, TheRootDirectoryExistsAndIsEmpty) {
  auto root = index_->get_inode(kRootIno);
  ASSERT_OK(root);
  EXPECT_EQ(root->ino, kRootIno);
  EXPECT_TRUE(S_ISDIR(root->mode));
  auto entries = index_->list_dir(kRootIno);
  ASSERT_OK(entries);
  EXPECT_TRUE(entries->empty());
}

TEST_F(NamespaceTest, AnInodeComesBackWithEveryField) {
  InodeAttr attr = regular_file();
  std::uint64_t ino = create(attr);
  EXPECT_GT(ino, kRootIno);
  auto got = index_->get_inode(ino);
  ASSERT_OK(got);
  attr.ino = ino;
  EXPECT_EQ(*got, attr);
}

TEST_F(NamespaceTest, ASymlinkKeepsItsTargetAndHasNoContent) {
  InodeAttr link;
  link.mode = S_IFLNK | 0777;
  link.nlink = 1;
  link.symlink_target = "../some where/else";
  std::uint64_t ino = create(link);
  auto got = index_->get_inode(ino);
  ASSERT_OK(got);
  EXPECT_EQ(got->symlink_target, link.symlink_target);
  EXPECT_FALSE(got->manifest.has_value());
  EXPECT_FALSE(got->file_key.has_value());
}

TEST_F(NamespaceTest, AManifestWithoutAKeyIsRefused) {
  InodeAttr attr = regular_file();
  attr.file_key.reset();
  auto ino = index_->create_inode(attr);
  ASSERT_FALSE(ino.ok());
  EXPECT_EQ(ino.error().code, Errc::invalid_argument);
}

TEST_F(NamespaceTest, InodeNumbersAreNotReused) {
  std::uint64_t first = create(regular_file());
  {
    Database db = open_raw();
    ASSERT_OK(db.exec("DELETE FROM inodes WHERE ino = " + std::to_string(first)));
  }
  EXPECT_GT(create(regular_file()), first);
}

TEST_F(NamespaceTest, AMissingInodeIsNotFound) {
  for (std::uint64_t ino : {std::uint64_t{999}, std::numeric_limits<std::uint64_t>::max()}) {
    auto got = index_->get_inode(ino);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().code, Errc::not_found);
  }
}

TEST_F(NamespaceTest, EntriesRoundTripThroughLookupAndListDir) {
  std::uint64_t dir = create(directory());
  std::uint64_t a = create(regular_file());
  std::uint64_t b = create(regular_file());
  ASSERT_OK(index_->add_entry(kRootIno, "docs", dir));
  ASSERT_OK(index_->add_entry(dir, "b.txt", b));
  ASSERT_OK(index_->add_entry(dir, "a.txt", a));
  ASSERT_OK(index_->add_entry(dir, "hard link to a", a));

  EXPECT_EQ(*index_->lookup(kRootIno, "docs"), std::optional<std::uint64_t>(dir));
  EXPECT_EQ(*index_->lookup(dir, "a.txt"), std::optional<std::uint64_t>(a));
  EXPECT_EQ(*index_->lookup(dir, "missing"), std::nullopt);
  EXPECT_EQ(*index_->lookup(kRootIno, "a.txt"), std::nullopt);

  auto entries = index_->list_dir(dir);
  ASSERT_OK(entries);
  const std::uint32_t file_mode = regular_file().mode;
  EXPECT_EQ(*entries, (std::vector<DirEntry>{{"a.txt", a, file_mode}, {"b.txt", b, file_mode},
                                             {"hard link to a", a, file_mode}}));
}

TEST_F(NamespaceTest, NamesAreBytesNotText) {
  std::uint64_t ino = create(regular_file());
  const std::string latin1("caf\xe9", 4);  // not valid UTF-8; Linux allows it
  ASSERT_OK(index_->add_entry(kRootIno, latin1, ino));
  EXPECT_EQ(*index_->lookup(kRootIno, latin1), std::optional<std::uint64_t>(ino));
  EXPECT_EQ(index_->list_dir(kRootIno)->front().name, latin1);
}

TEST_F(NamespaceTest, ANameCanBeAddedToADirectoryOnlyOnce) {
  std::uint64_t a = create(regular_file());
  std::uint64_t b = create(regular_file());
  ASSERT_OK(index_->add_entry(kRootIno, "x", a));
  EXPECT_EQ(add_entry_error(kRootIno, "x", b), Errc::already_exists);
  EXPECT_EQ(*index_->lookup(kRootIno, "x"), std::optional<std::uint64_t>(a));
}

TEST_F(NamespaceTest, EntriesNeedAnExistingDirectoryAndAnExistingInode) {
  std::uint64_t file = create(regular_file());
  EXPECT_EQ(add_entry_error(12345, "x", file), Errc::not_found);
  EXPECT_EQ(add_entry_error(kRootIno, "x", 12345), Errc::not_found);
  EXPECT_EQ(add_entry_error(file, "x", file), Errc::invalid_argument);  // not a directory
  EXPECT_TRUE(index_->list_dir(kRootIno)->empty());
}

TEST_F(NamespaceTest, NamesThatCannotBeDirectoryEntriesAreRefused) {
  std::uint64_t file = create(regular_file());
  for (const std::string& name : {std::string(), std::string("."), std::string(".."), std::string("a/b"),
                                  std::string("a\0b", 3)}) {
    EXPECT_EQ(add_entry_error(kRootIno, name, file), Errc::invalid_argument) << "name '" << name << "'";
  }
  EXPECT_EQ(add_entry_error(kRootIno, std::string(256, 'n'), file), Errc::too_large);
  EXPECT_OK(index_->add_entry(kRootIno, std::string(255, 'n'), file));
}

TEST_F(NamespaceTest, ListingSomethingThatIsNotADirectoryFails) {
  std::uint64_t file = create(regular_file());
  auto not_dir = index_->list_dir(file);
  ASSERT_FALSE(not_dir.ok());
  EXPECT_EQ(not_dir.error().code, Errc::invalid_argument);
  auto missing = index_->list_dir(4242);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::not_found);
}

TEST_F(NamespaceTest, ALinkedInodeCannotBeDeletedBehindTheNamespacesBack) {
  std::uint64_t file = create(regular_file());
  ASSERT_OK(index_->add_entry(kRootIno, "f", file));
  Database db = open_raw();
  Status status = db.exec("DELETE FROM inodes WHERE ino = " + std::to_string(file));
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("FOREIGN KEY"), std::string::npos) << status.error().message;
}

TEST_F(NamespaceTest, TheNamespaceSurvivesReopening) {
  std::uint64_t file = create(regular_file());
  ASSERT_OK(index_->add_entry(kRootIno, "kept", file));
  index_.reset();
  index_ = open_index();
  ASSERT_NE(index_, nullptr);
  EXPECT_EQ(*index_->lookup(kRootIno, "kept"), std::optional<std::uint64_t>(file));
  EXPECT_EQ(index_->get_inode(file)->size, regular_file().size);
}

}  // namespace
}  // namespace dfs::index
