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
#include <thread>

namespace dfs::fuse::test {
namespace {

std::string g_root, g_mount, g_scratch, g_log;
pid_t g_child = -1;

std::string read_all(const std::string& path) { return read_text(path); }

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
    g_child = fork();
    ASSERT_GE(g_child, 0);
    if (g_child == 0) {
      const std::string exec = "exec " + full + " >>" + g_log + " 2>&1";
      execl("/bin/sh", "sh", "-c", exec.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!is_mounted(g_mount)) {
      int status = 0;
      if (waitpid(g_child, &status, WNOHANG) == g_child) {
        g_child = -1;
        FAIL() << "the mount command exited before mounting; its output:\n" << read_all(g_log);
      }
      if (std::chrono::steady_clock::now() > deadline) FAIL() << "not mounted after 30 s; output:\n" << read_all(g_log);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  void TearDown() override {
    if (is_mounted(g_mount) && sh("fusermount3 -u " + g_mount) != 0) {
      std::fprintf(stderr, "fusermount3 -u failed; lazy unmount\n");
      (void)sh("fusermount3 -uz " + g_mount);
    }
    if (g_child > 0) {
      int status = 0;
      for (int i = 0; i < 200 && waitpid(g_child, &status, WNOHANG) == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      if (waitpid(g_child, &status, WNOHANG) == 0) {
        ADD_FAILURE() << "the mount process did not exit after unmount; killing it";
        kill(g_child, SIGKILL);
        waitpid(g_child, &status, 0);
      } else {
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
            << "the mount process ended badly (status " << status << "); output:\n" << read_all(g_log);
      }
    }
    const std::string log = read_all(g_log);
    if (!log.empty()) std::fprintf(stderr, "--- mount output ---\n%s--------------------\n", log.c_str());
    if (!g_root.empty() && !is_mounted(g_mount)) (void)sh("rm -rf " + g_root);
  }
};

const auto* const g_environment = ::testing::AddGlobalTestEnvironment(new MountEnvironment);

}  // namespace

const std::string& mount_dir() { return g_mount; }
const std::string& scratch_dir() { return g_scratch; }

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
  const std::string text = read_all(out_file);
  if (output != nullptr) *output += text;
  if (status != 0 && output == nullptr) std::fprintf(stderr, "script failed:\n%s\noutput:\n%s\n", script.c_str(), text.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

}  // namespace dfs::fuse::test
