// Runs a real binary as a child process for integration tests: arguments,
// stdin from a file or a callback that streams into a pipe, stdout and
// stderr captured (or streamed to a callback), optional uid/gid switch.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace dfs::testing {

struct ProcessResult {
  int exit_code = -1;  // -1 if killed by a signal
  std::string out;     // captured stdout (unless streamed)
  std::string err;     // captured stderr
};

struct ProcessOptions {
  std::optional<std::string> stdin_path;
  // Called with the write end of the child's stdin pipe; must close it.
  std::function<void(int fd)> feed_stdin;
  // Called with each block of stdout instead of capturing it.
  std::function<void(const char* data, std::size_t size)> on_stdout;
  std::optional<unsigned> uid;  // run as this user (tests run as root)
  // stdout and stderr on one pseudo-terminal, as when a user runs the
  // command: both are captured, in order, in `out` (with "\r\n" line ends).
  bool terminal = false;
};

ProcessResult run_process(const std::string& binary, const std::vector<std::string>& args,
                          const ProcessOptions& options = {});

// Path of a binary from an environment variable set by meson (DFS_BIN...).
std::string binary_from_env(const char* variable);

// `dfs --data DATA ARGS...`: a command at the peer of that data directory.
ProcessResult dfs_with_data(const std::string& data, std::vector<std::string> args);
// How many peers the peer of that data directory lists (`dfs peers`).
int peers_known_at(const std::string& data);

}  // namespace dfs::testing

namespace dfs::testing {

// A long-running child (a peer), its stderr in a log file. Killed (SIGKILL)
// on destruction if still running.
class Daemon {
 public:
  Daemon(const std::string& binary, const std::vector<std::string>& args, const std::string& log_path);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Waits until the log contains `text`; false after `seconds` or once
  // the child exited without writing it.
  bool wait_for_log(const std::string& text, double seconds = 20) const;
  std::string log() const;
  void signal(int sig) const;
  // Sends `sig` and reaps the child; returns its exit status (-1: signalled).
  int stop(int sig);
  // Waits up to `seconds` for the child to exit on its own; its exit
  // status (-1: signalled), or nullopt if it still runs.
  std::optional<int> wait_exit(double seconds);
  bool running() const { return !reap(false); }
  int pid() const { return pid_; }

 private:
  // True once the child has exited (and was reaped, its status kept).
  bool reap(bool block) const;

  // The observers above reap a child that exited, so these change under const.
  mutable int pid_ = -1;
  mutable int exit_code_ = -1;
  std::string log_path_;
};

}  // namespace dfs::testing
