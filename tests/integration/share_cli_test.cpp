// dfs id and dfs open where they must refuse, with the real binary: each
// failure is one line saying why, exit 1 (2 for a command-line mistake).
// Their successes need a mount: tests/fuse/multi_peer_test.cpp.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "../common/temp_dir.hpp"
#include "run_process.hpp"

namespace dfs::testing {
namespace {

namespace fs = std::filesystem;

// Well formed, names nothing.
const std::string kSomeId = "dfs1" + std::string(103, 'a');

class ShareCli : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(tmp_.ok()); }

  ProcessResult dfs(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data", data_});
    return run_process(binary_from_env("DFS_BIN"), args);
  }

  dfs::testing::TempDir tmp_{"dfs-share-cli-test"};
  const std::string dir_ = tmp_.path();
  const std::string data_ = dir_ + "/data";
};

TEST_F(ShareCli, IdOfAFileOnAnotherFilesystemSaysItIsNotOnADfsMount) {
  const std::string file = dir_ + "/plain";
  std::ofstream(file) << "not on dfs";
  auto r = dfs({"id", file});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "dfs: id: " + file + " is not on a dfs mount\n");
}

TEST_F(ShareCli, IdOfAMissingFileOrADirectoryOffTheMountSaysWhich) {
  auto missing = dfs({"id", dir_ + "/missing"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("No such file or directory"), std::string::npos) << missing.err;
  auto directory = dfs({"id", dir_});
  EXPECT_EQ(directory.exit_code, 1);
  // A directory has an ID on a mount (its snapshot's); off one, it has none.
  EXPECT_NE(directory.err.find("is not on a dfs mount"), std::string::npos) << directory.err;
}

TEST_F(ShareCli, IdWithoutAPathIsACommandLineMistake) {
  auto r = dfs({"id"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no file given"), std::string::npos) << r.err;
}

TEST_F(ShareCli, OpenOfAMalformedIdIsACommandLineMistake) {
  auto r = dfs({"open", "not-an-id", dir_ + "/x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("not a dfs File ID"), std::string::npos) << r.err;
  auto short_id = dfs({"open", "dfs1abc"});
  EXPECT_EQ(short_id.exit_code, 2);
}

TEST_F(ShareCli, OpenWithNoDfsmountOnTheDataDirectorySaysSo) {
  auto r = dfs({"open", kSomeId, dir_ + "/x"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no dfsmount is running on " + data_), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_ + "/x"));
}

TEST_F(ShareCli, OpenIntoADirectoryThatDoesNotExistSaysSo) {
  auto r = dfs({"open", kSomeId, dir_ + "/missing/x"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot resolve " + dir_ + "/missing"), std::string::npos) << r.err;
}

TEST_F(ShareCli, OpenThroughAHeadlessNodeSaysItHasNoMount) {
  Daemon node(binary_from_env("DFS_BIN"), {"--data", data_, "node", "--listen", "127.0.0.1:0"}, dir_ + "/node.log");
  ASSERT_TRUE(node.wait_for_log("listening on")) << node.log();
  auto r = dfs({"open", kSomeId, dir_ + "/x"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("headless node"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_ + "/x"));
}

}  // namespace
}  // namespace dfs::testing
