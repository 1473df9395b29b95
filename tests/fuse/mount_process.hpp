// A FUSE mount served by a child process in the foreground (dfsmount -f,
// the memfs test mount): started by the constructor, and unmounted
// (fusermount3 -u, else lazily) and reaped by the destructor whatever
// happened, killed if it does not exit. Used by the shared mount fixture
// and by the tests that run several mounts at once.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "run_process.hpp"

namespace dfs::fuse::test {

// Whether `path` is a mount point of this process's mount namespace.
bool is_mounted(const std::string& path);

class MountProcess {
 public:
  // Runs `binary` with `args` (which name `mountpoint` themselves), its
  // stdout and stderr in `log_path`.
  MountProcess(const std::string& binary, const std::vector<std::string>& args, std::string mountpoint,
               const std::string& log_path);
  ~MountProcess();
  MountProcess(const MountProcess&) = delete;
  MountProcess& operator=(const MountProcess&) = delete;

  // Empty once `mountpoint` is mounted; otherwise why not (the process
  // exited first, or `seconds` passed), with the process's output.
  std::string wait_mounted(double seconds = 30);
  // Unmounts and waits for the process to exit; its exit status, or
  // nullopt if it had to be killed. Idempotent.
  std::optional<int> unmount();
  // kill -9 of the mount process (a machine lost at once), then what
  // unmount() does to the dead mount. Idempotent.
  void kill();

  // Waits until the process's output contains `text` (see Daemon).
  bool wait_for_log(const std::string& text, double seconds = 20) const {
    return process_.wait_for_log(text, seconds);
  }

  const std::string& mountpoint() const { return mountpoint_; }
  std::string log() const { return process_.log(); }

 private:
  dfs::testing::Daemon process_;
  const std::string mountpoint_;
  std::optional<std::optional<int>> unmounted_;  // set by the first unmount()
};

}  // namespace dfs::fuse::test
