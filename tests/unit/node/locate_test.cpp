// Node::locate of a directory ID on a lone peer (its store is every chunk's
// one place): the walk finds every chunk the tree put stored (snapshots,
// packs of small files, manifests and data of the others), each once
// however often the tree names it, counts its files; and a chunk gone from
// the store makes the tree short, also when it is a manifest, while a tree
// whose root snapshot is gone is not found.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "../../common/temp_dir.hpp"
#include "dfs/node/data_dir.hpp"
#include "dfs/node/node.hpp"
#include "dfs/store/version_reader.hpp"
#include "dfs/util/file.hpp"

namespace dfs::node {
namespace {

namespace fs = std::filesystem;

class LocateTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tmp_.ok());
    NodeOptions options;
    options.data_dir = tmp_.path() + "/data";
    options.chunk_size = 4096;
    options.durable = false;
    data_dir_ = std::move(DataDir::open(options)).value();
    node_ = std::make_unique<Node>(*data_dir_);
  }

  void write(const std::string& rel, const std::string& content) {
    fs::create_directories(fs::path(src() + rel).parent_path());
    std::ofstream(src() + rel, std::ios::binary) << content;
  }
  std::string src() const { return tmp_.path() + "/src"; }

  FileId put_tree() {
    auto fd = open_file(src(), O_RDONLY | O_DIRECTORY);
    EXPECT_TRUE(fd.ok());
    auto outcome = node_->put_tree(fd->get(), "src", {}, {});
    EXPECT_TRUE(outcome.ok()) << outcome.error().to_string();
    return outcome->id;
  }

  std::set<ChunkId> stored() {
    auto listed = data_dir_->store().list();
    EXPECT_TRUE(listed.ok());
    return std::set<ChunkId>(listed->begin(), listed->end());
  }

  dfs::testing::TempDir tmp_{"dfs-locate-test"};
  std::unique_ptr<DataDir> data_dir_;
  std::unique_ptr<Node> node_;
};

TEST_F(LocateTreeTest, EveryChunkOfATreeIsFoundOnceWithItsFilesPackedOrNot) {
  for (int i = 0; i < 30; ++i) write("/small/f" + std::to_string(i), "small file " + std::to_string(i));
  write("/sub/deeper/tiny", "tiny");
  const std::string large(kPackFilesBelow + 3, 'x');  // not packed: a manifest and its chunks
  write("/large", large);
  write("/same/large", large);  // sealed afresh: chunks of its own
  fs::create_hard_link(src() + "/large", src() + "/hard link");  // one File ID named twice
  fs::create_symlink("large", src() + "/link");
  const FileId tree = put_tree();

  auto location = node_->locate(tree, false);
  ASSERT_TRUE(location.ok()) << location.error().to_string();
  EXPECT_EQ(location->files, 34u);
  EXPECT_EQ(location->replicas, 1u);
  std::set<ChunkId> found;
  for (const auto& c : location->chunks) {
    EXPECT_TRUE(found.insert(c.id).second) << "chunk " << c.id.short_hex() << " listed twice";
    EXPECT_TRUE(c.self_holds);
  }
  EXPECT_EQ(found, stored()) << "the tree put stored exactly the chunks the walk finds";
  EXPECT_EQ(location->short_chunks(), 0u);
}

TEST_F(LocateTreeTest, APackOrAManifestGoneMakesTheTreeShortAndItsRootSnapshotGoneMakesItNotFound) {
  // Enough small files that their pack is a chunk of its own (not inline in the snapshot).
  for (int i = 0; i < 5; ++i) write("/f" + std::to_string(i), std::string(kInlinePackBelow / 4, 'p') + std::to_string(i));
  write("/big", std::string(kPackFilesBelow, 'y'));
  const FileId tree = put_tree();
  auto root = store::read_directory(data_dir_->store(), tree);
  ASSERT_TRUE(root.ok());
  const DirEntry* packed = root->find("f0");
  const DirEntry* big = root->find("big");
  ASSERT_TRUE(packed && packed->is_packed() && !packed->packed->is_inline() && big && big->id);

  ASSERT_TRUE(data_dir_->store().remove(packed->packed->pack).ok());
  ASSERT_TRUE(data_dir_->store().remove(big->id->manifest).ok());
  auto location = node_->locate(tree, false);
  ASSERT_TRUE(location.ok()) << location.error().to_string();
  EXPECT_EQ(location->files, 6u);
  EXPECT_EQ(location->short_chunks(), 2u) << "the pack and the manifest (whose data chunks cannot be named)";
  for (const auto& c : location->chunks) {
    const bool gone = c.id == packed->packed->pack || c.id == big->id->manifest;
    EXPECT_EQ(c.self_holds, !gone) << c.id.short_hex();
  }

  // Without its root snapshot, nothing of the tree can be named.
  ASSERT_TRUE(data_dir_->store().remove(tree.manifest).ok());
  auto lost = node_->locate(tree, false);
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().code, Errc::not_found);
}

}  // namespace
}  // namespace dfs::node
