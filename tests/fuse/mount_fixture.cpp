#include "mount_fixture.hpp"
#include "mount_util.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <memory>
#include <vector>

#include "mount_process.hpp"

namespace dfs::fuse::test {
namespace {

std::string g_root, g_mount, g_scratch, g_log;
std::unique_ptr<MountProcess> g_process;


std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
  return s;
}

class MountEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    const char* command = std::getenv("DFS_MOUNT_COMMAND");
    ASSERT_NE(command, nullptr) << "DFS_MOUNT_COMMAND is not set (meson sets it)";
    char tmpl[] = "/tmp/dfs-fuse-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    g_root = tmpl;
    ::chmod(g_root.c_str(), 0755);  // other users (the permission tests) must reach the mount
    g_mount = g_root + "/mnt";
    g_scratch = g_root + "/scratch";
    g_log = g_root + "/mount.log";
    ASSERT_EQ(::mkdir(g_mount.c_str(), 0755), 0);
    ASSERT_EQ(::mkdir(g_scratch.c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((g_root + "/data").c_str(), 0700), 0);
    ASSERT_EQ(access("/dev/fuse", R_OK | W_OK), 0) << "/dev/fuse is missing or not usable: cannot mount";
    const std::string full = replace_all(command, "{data}", g_root + "/data") + " " + g_mount;
    std::fprintf(stderr, "mounting: %s\n", full.c_str());
    g_process = std::make_unique<MountProcess>("/bin/sh", std::vector<std::string>{"-c", "exec " + full}, g_mount,
                                               g_log);
    const std::string why = g_process->wait_mounted(30);
    ASSERT_TRUE(why.empty()) << why;
  }

  void TearDown() override {
    if (g_process) {
      const std::optional<int> status = g_process->unmount();
      if (!status) {
        ADD_FAILURE() << "the mount process did not exit after unmount; it was killed";
      } else {
        EXPECT_EQ(*status, 0) << "the mount process ended badly; output:\n" << read_text(g_log);
      }
      g_process.reset();
    }
    const std::string log = read_text(g_log);
    if (!log.empty()) std::fprintf(stderr, "--- mount output ---\n%s--------------------\n", log.c_str());
    if (!g_root.empty() && !is_mounted(g_mount)) (void)sh("rm -rf " + g_root);
  }
};

const auto* const g_environment = ::testing::AddGlobalTestEnvironment(new MountEnvironment);

}  // namespace

const std::string& mount_dir() { return g_mount; }
const std::string& scratch_dir() { return g_scratch; }
std::string data_dir() {
  const char* command = std::getenv("DFS_MOUNT_COMMAND");
  if (command == nullptr || std::string(command).find("{data}") == std::string::npos) return "";
  return g_root + "/data";
}

std::string fresh_dir(const std::string& name) {
  const std::string dir = g_mount + "/" + name;
  (void)sh("rm -rf " + dir);
  ::mkdir(dir.c_str(), 0755);
  return dir;
}

int sh(const std::string& script, std::string* output) {
  const std::string file = g_root + "/script.sh";
  {
    std::ofstream out(file);
    out << "set -euo pipefail\n" << script << "\n";
  }
  const std::string out_file = g_root + "/script.out";
  const int status = std::system(("bash " + file + " >" + out_file + " 2>&1").c_str());
  const std::string text = read_text(out_file);
  if (output != nullptr) *output += text;
  if (status != 0 && output == nullptr) std::fprintf(stderr, "script failed:\n%s\noutput:\n%s\n", script.c_str(), text.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

}  // namespace dfs::fuse::test
