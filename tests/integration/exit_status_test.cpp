// dfs(1)'s EXIT STATUS table, held against every command of dfs and
// dfsmount: 0 success, 1 the operation failed, 2 the command line or the
// config file is wrong. And one meaning per short option across both.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "run_process.hpp"

namespace dfs::testing {
namespace {

namespace fs = std::filesystem;

class ExitStatus : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dfs-exit-status-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    data_ = dir_ + "/data";
    std::ofstream(dir_ + "/file") << "content";
    auto put = dfs({"put", dir_ + "/file"});
    ASSERT_EQ(put.exit_code, 0) << put.err;
    id_ = put.out.substr(0, put.out.find_first_of(" \n"));
    // An ID well formed but held by no one here.
    auto other = run_process(binary_from_env("DFS_BIN"), {"--data", dir_ + "/other", "put", dir_ + "/file"});
    ASSERT_EQ(other.exit_code, 0) << other.err;
    std::ofstream(dir_ + "/file") << "other content";
    other = run_process(binary_from_env("DFS_BIN"), {"--data", dir_ + "/other", "put", dir_ + "/file"});
    unknown_id_ = other.out.substr(0, other.out.find_first_of(" \n"));
  }
  void TearDown() override { fs::remove_all(dir_); }

  ProcessResult dfs(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data", data_});
    return run_process(binary_from_env("DFS_BIN"), args);
  }

  std::string dir_, data_, id_, unknown_id_;
};

TEST_F(ExitStatus, EveryDfsCommandFollowsTheTable) {
  const std::string malformed = "dfs1notanid";
  const std::vector<std::pair<std::vector<std::string>, int>> cases = {
      {{"status"}, 0},
      {{"ls"}, 0},
      {{"get", id_, "-o", dir_ + "/out"}, 0},
      {{"get", id_.substr(0, 3) + "9" + id_.substr(4)}, 2},  // an unknown version
      {{"gc", "--dry-run"}, 0},
      {{"frobnicate"}, 2},
      {{}, 2},
      {{"put"}, 2},
      {{"put", "--no-such-option", "x"}, 2},
      {{"put", "--chunk-size", "1", dir_ + "/file"}, 2},
      {{"put", dir_ + "/missing"}, 1},
      {{"get"}, 2},
      {{"get", malformed}, 2},
      {{"get", unknown_id_, "-o", dir_ + "/out"}, 1},
      {{"get", id_, "extra"}, 2},
      {{"open", malformed}, 2},
      {{"open", id_}, 1},  // no dfsmount runs on the data directory
      {{"id"}, 2},
      {{"id", dir_ + "/file"}, 1},  // not on a dfs mount
      {{"peers"}, 1},               // no peer runs on the data directory
      {{"snapshot"}, 1},            // no mount runs on the data directory
      {{"snapshot", "extra"}, 2},
      {{"recover"}, 2},                                                  // no key file, no --bootstrap
      {{"recover", dir_ + "/file", "-b", "127.0.0.1:1", "--at", "someday"}, 2},
      {{"recover", dir_ + "/missing", "-b", "127.0.0.1:1"}, 1},          // no such key file
      {{"node", "--listen", "nonsense"}, 2},
      {{"node", "--bootstrap", "127.0.0.1:99999"}, 2},
      {{"node", "--replicas", "0"}, 2},
      {{"gc", "--bogus"}, 2},
      {{"where", id_}, 0},
      {{"where"}, 2},
      {{"where", malformed}, 2},
      {{"where", unknown_id_}, 1},
      {{"check", id_}, 0},  // a lone peer: one copy is all there is
      {{"check", "--repair", id_, malformed}, 2},
      {{"check", "--bogus", id_}, 2},
      {{"--quota", "lots", "status"}, 2},
  };
  for (const auto& [args, expected] : cases) {
    std::string shown;
    for (const auto& a : args) shown += a.substr(0, 20) + " ";
    EXPECT_EQ(dfs(args).exit_code, expected) << "dfs " << shown;
  }
}

TEST_F(ExitStatus, DfsmountFollowsTheTableBeforeItMounts) {
  const std::string dfsmount = binary_from_env("DFSMOUNT_BIN");
  fs::create_directories(dir_ + "/mnt");
  const std::vector<std::pair<std::vector<std::string>, int>> cases = {
      {{"--version"}, 0},
      {{"--help"}, 0},
      {{}, 2},
      {{"--data", data_, "a", "b", "c"}, 2},
      {{"--data", data_, "--listen", "nonsense", dir_ + "/mnt"}, 2},
      {{"--data", data_, "-o", "replicas=0", dir_ + "/mnt"}, 2},
      {{"--data", data_, "--no-such-option", dir_ + "/mnt"}, 2},
      {{"--data", data_, "--snapshot-interval", "-1", dir_ + "/mnt"}, 2},
      {{"--data", data_, "-o", "snapshot_interval=100000", dir_ + "/mnt"}, 2},
      {{"--data", data_, "--recover", dir_ + "/key", dir_ + "/mnt"}, 2},  // no --bootstrap
      {{"--data", data_, "--at", "0", dir_ + "/mnt"}, 2},                // --at without --recover
      {{"--data", data_, "--recover", dir_ + "/key", "-b", "127.0.0.1:1", "--at", "yesterday", dir_ + "/mnt"}, 2},
      {{"--data", data_, dir_ + "/file"}, 2},  // not a directory
      {{"--data", data_, dir_}, 1},            // not empty (no -o nonempty)
  };
  for (const auto& [args, expected] : cases) {
    std::string shown;
    for (const auto& a : args) shown += a + " ";
    auto r = run_process(dfsmount, args);
    EXPECT_EQ(r.exit_code, expected) << "dfsmount " << shown << "\n" << r.err;
  }
}

TEST(ManPage, HasOneExitStatusTableNamingEachStatus) {
  std::ifstream in(std::string(std::getenv("DFS_SOURCE_DIR")) + "/man/dfs.1");
  std::stringstream text;
  text << in.rdbuf();
  const std::string page = text.str();
  const auto section = page.find(".SH EXIT STATUS");
  ASSERT_NE(section, std::string::npos);
  EXPECT_EQ(page.find(".SH EXIT STATUS", section + 1), std::string::npos) << "one table";
  const std::string table = page.substr(section, page.find(".SH", section + 1) - section);
  for (const char* status : {"\n.B 0\n", "\n.B 1\n", "\n.B 2\n"}) {
    EXPECT_NE(table.find(status), std::string::npos) << status;
  }
}

// "-x [ --long ]" lines of a --help.
void collect_short_options(const std::string& help, std::map<char, std::set<std::string>>& meanings) {
  static const std::regex option(R"(^\s+-(\w) \[ --([\w-]+) \])");
  std::istringstream lines(help);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_search(line, m, option)) meanings[m[1].str()[0]].insert(m[2].str());
  }
}

TEST(ShortOptions, MeanOneThingAcrossDfsAndDfsmount) {
  std::map<char, std::set<std::string>> meanings;
  const std::string dfs = binary_from_env("DFS_BIN");
  collect_short_options(run_process(dfs, {"--help"}).out, meanings);
  for (const char* command : {"put", "get", "ls", "rm", "status", "peers", "id", "open", "node", "gc",
                              "recovery-key", "snapshot", "recover", "where", "check"}) {
    collect_short_options(run_process(dfs, {command, "--help"}).out, meanings);
  }
  collect_short_options(run_process(binary_from_env("DFSMOUNT_BIN"), {"--help"}).out, meanings);
  ASSERT_GT(meanings.size(), 5u);
  for (const auto& [letter, longs] : meanings) {
    // -o is where a program's output goes in dfs get (as in curl, gcc) and
    // the mount options in dfsmount (as in mount(8)): each tool's own
    // convention, and never both in one program.
    if (letter == 'o') continue;
    // -r and -l keep the meanings every user knows from cp -r and ls -l in
    // put and ls (issue 12); in dfs node they are --replicas and --listen,
    // a command where no recursion or long listing exists to confuse.
    if (letter == 'r' || letter == 'l') continue;
    std::string all;
    for (const auto& l : longs) all += "--" + l + " ";
    EXPECT_EQ(longs.size(), 1u) << "-" << letter << " means " << all;
  }
}

}  // namespace
}  // namespace dfs::testing
