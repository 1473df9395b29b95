// Format compatibility: a data directory written by the last build of
// format v1 (one key per file, 107-character File IDs; see
// tests/fixtures/format_v1/README.md) is read bit-exact by today's code.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "../../common/temp_dir.hpp"
#include "dfs/node/node.hpp"
#include "dfs/util/file.hpp"

namespace dfs::node {
namespace {

namespace fs = std::filesystem;

const std::string kFixture = std::string(DFS_SOURCE_DIR) + "/tests/fixtures/format_v1";

Bytes slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

std::vector<std::string> fixture_ids() {
  std::ifstream in(kFixture + "/ids.txt");
  std::vector<std::string> ids;
  for (std::string line; std::getline(in, line);) ids.push_back(line);
  return ids;
}

class FormatV1Test : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    // A copy: opening a data directory creates files in it.
    fs::copy(kFixture + "/data", dir_.file("data"), fs::copy_options::recursive);
    NodeOptions options;
    options.data_dir = dir_.file("data");
    auto opened = Node::open(options);
    ASSERT_TRUE(opened.ok()) << opened.error().to_string();
    node_ = std::move(opened).value();
  }

  Result<Bytes> get(const std::string& text) {
    DFS_ASSIGN_OR_RETURN(FileId id, FileId::parse(text));
    const std::string path = dir_.file("out");
    DFS_ASSIGN_OR_RETURN(UniqueFd fd, open_file(path, O_RDWR | O_CREAT | O_TRUNC));
    DFS_TRY(node_->get(id, fd.get(), {}));
    return slurp(path);
  }

  testing::TempDir dir_{"dfs-format-v1-test"};
  std::unique_ptr<Node> node_;
};

TEST_F(FormatV1Test, AVersionOneFileIdReadsItsFileBitExact) {
  const auto ids = fixture_ids();
  ASSERT_EQ(ids.size(), 2u);
  auto got = get(ids[0]);
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  const Bytes want = slurp(kFixture + "/three_chunks.bin");
  ASSERT_EQ(want.size(), 10000u);
  EXPECT_EQ(*got, want);
}

TEST_F(FormatV1Test, AVersionOneEmptyFileReadsEmpty) {
  auto got = get(fixture_ids().at(1));
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  EXPECT_TRUE(got->empty());
}

TEST_F(FormatV1Test, TheVersionOneIndexStillListsBothFiles) {
  auto files = node_->list();
  ASSERT_TRUE(files.ok()) << files.error().to_string();
  ASSERT_EQ(files->size(), 2u);
  std::uint64_t total = 0;
  for (const auto& f : *files) total += f.size;
  EXPECT_EQ(total, 10000u);
}

}  // namespace
}  // namespace dfs::node
