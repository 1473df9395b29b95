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
};

ProcessResult run_process(const std::string& binary, const std::vector<std::string>& args,
                          const ProcessOptions& options = {});

// Path of a binary from an environment variable set by meson (DFS_BIN...).
std::string binary_from_env(const char* variable);

}  // namespace dfs::testing
