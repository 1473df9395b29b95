#include "mount_process.hpp"

#include <signal.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "../common/eventually.hpp"

namespace dfs::fuse::test {

using ::dfs::testing::eventually;

namespace {

constexpr double kExitAfterUnmountSeconds = 15;

// fusermount3 -u, or a lazy unmount if something still holds the mount.
void detach(const std::string& mountpoint) {
  using dfs::testing::run_process;
  if (run_process("/bin/sh", {"-c", "fusermount3 -u \"$0\"", mountpoint}).exit_code != 0) {
    (void)run_process("/bin/sh", {"-c", "fusermount3 -uz \"$0\"", mountpoint});
  }
}

}  // namespace

bool is_mounted(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(" " + path + " ") != std::string::npos) return true;
  }
  return false;
}

MountProcess::MountProcess(const std::string& binary, const std::vector<std::string>& args, std::string mountpoint,
                           const std::string& log_path)
    : process_(binary, args, log_path), mountpoint_(std::move(mountpoint)) {}

MountProcess::~MountProcess() { (void)unmount(); }

std::string MountProcess::wait_mounted(double seconds) {
  // A process that exited will not mount: stop waiting then.
  eventually([&] { return is_mounted(mountpoint_) || !process_.running(); },
             std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000)), std::chrono::milliseconds(20));
  if (is_mounted(mountpoint_)) return {};
  if (!process_.running()) return "the mount process exited before mounting " + mountpoint_ + "; its output:\n" + log();
  return mountpoint_ + " not mounted after " + std::to_string(seconds) + " s; output:\n" + log();
}

void MountProcess::kill() {
  if (unmounted_) return;
  process_.stop(SIGKILL);
  if (is_mounted(mountpoint_)) detach(mountpoint_);
  unmounted_ = std::optional<int>();
}

std::optional<int> MountProcess::unmount() {
  if (unmounted_) return *unmounted_;
  if (is_mounted(mountpoint_)) detach(mountpoint_);
  std::optional<int> status = process_.wait_exit(kExitAfterUnmountSeconds);
  if (!status) process_.stop(SIGKILL);
  if (is_mounted(mountpoint_)) detach(mountpoint_);  // killed before it could unmount
  unmounted_ = status;
  return status;
}

}  // namespace dfs::fuse::test
