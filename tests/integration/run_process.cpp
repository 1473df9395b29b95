#include "run_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <sstream>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "../common/eventually.hpp"

namespace dfs::testing {

namespace {

void exec_child(const std::string& binary, const std::vector<std::string>& args, const ProcessOptions& options,
                int stdin_fd, int out_fd, int err_fd) {
  if (stdin_fd >= 0) ::dup2(stdin_fd, STDIN_FILENO);
  ::dup2(out_fd, STDOUT_FILENO);
  ::dup2(options.terminal ? out_fd : err_fd, STDERR_FILENO);
  if (options.uid) {
    if (::setgid(*options.uid) != 0 || ::setuid(*options.uid) != 0) ::_exit(126);
  }
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(binary.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execv(binary.c_str(), argv.data());
  ::_exit(127);
}

// Reads both pipes until both close, so neither can fill up and block the child.
void drain(int out_fd, int err_fd, ProcessResult& result, const ProcessOptions& options) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  int open_count = 2;
  std::vector<char> buf(1 << 20);
  while (open_count > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("poll failed");
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(fds[i].fd, buf.data(), buf.size());
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_count;
      } else if (i == 0 && options.on_stdout) {
        options.on_stdout(buf.data(), static_cast<std::size_t>(n));
      } else {
        (i == 0 ? result.out : result.err).append(buf.data(), static_cast<std::size_t>(n));
      }
    }
  }
}

}  // namespace

ProcessResult run_process(const std::string& binary, const std::vector<std::string>& args,
                          const ProcessOptions& options) {
  int out_pipe[2], err_pipe[2], in_pipe[2] = {-1, -1};
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  if (options.terminal) {
    // The terminal replaces the stdout pipe, and stderr goes to it too;
    // the stderr pipe is then only closed, at once, by the child.
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    if (::openpty(&out_pipe[0], &out_pipe[1], nullptr, nullptr, nullptr) != 0) throw std::runtime_error("openpty failed");
    ::fcntl(out_pipe[0], F_SETFD, FD_CLOEXEC);
    ::fcntl(out_pipe[1], F_SETFD, FD_CLOEXEC);
  }
  int stdin_fd = -1;
  if (options.stdin_path) {
    stdin_fd = ::open(options.stdin_path->c_str(), O_RDONLY | O_CLOEXEC);
    if (stdin_fd < 0) throw std::runtime_error("cannot open " + *options.stdin_path);
  } else if (options.feed_stdin) {
    if (::pipe2(in_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    stdin_fd = in_pipe[0];
  } else {
    stdin_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  }
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) exec_child(binary, args, options, stdin_fd, out_pipe[1], err_pipe[1]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (stdin_fd >= 0) ::close(stdin_fd);
  std::thread feeder;
  if (options.feed_stdin) feeder = std::thread([&] { options.feed_stdin(in_pipe[1]); });
  ProcessResult result;
  drain(out_pipe[0], err_pipe[0], result, options);
  if (feeder.joinable()) feeder.join();
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string binary_from_env(const char* variable) {
  const char* path = std::getenv(variable);
  if (!path) throw std::runtime_error(std::string(variable) + " is not set: run the tests through 'meson test'");
  return path;
}

ProcessResult dfs_with_data(const std::string& data, std::vector<std::string> args) {
  args.insert(args.begin(), {"--data", data});
  return run_process(binary_from_env("DFS_BIN"), args);
}

int peers_known_at(const std::string& data) {
  const ProcessResult r = dfs_with_data(data, {"peers"});
  return static_cast<int>(std::count(r.out.begin(), r.out.end(), '\n'));
}

}  // namespace dfs::testing

namespace dfs::testing {

Daemon::Daemon(const std::string& binary, const std::vector<std::string>& args, const std::string& log_path)
    : log_path_(log_path) {
  int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (log_fd < 0 || null_fd < 0) throw std::runtime_error("cannot open " + log_path);
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) exec_child(binary, args, ProcessOptions{}, null_fd, null_fd, log_fd);
  ::close(log_fd);
  ::close(null_fd);
  pid_ = pid;
}

Daemon::~Daemon() {
  if (running()) stop(SIGKILL);
}

std::string Daemon::log() const {
  std::ifstream in(log_path_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool Daemon::reap(bool block) const {
  if (pid_ <= 0) return true;
  int status = 0;
  pid_t reaped;
  while ((reaped = ::waitpid(pid_, &status, block ? 0 : WNOHANG)) < 0 && errno == EINTR) {
  }
  if (reaped != pid_) return false;
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  pid_ = -1;
  return true;
}

namespace {

std::chrono::milliseconds to_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
}

}  // namespace

bool Daemon::wait_for_log(const std::string& text, double seconds) const {
  const auto logged = [&] { return log().find(text) != std::string::npos; };
  // A process that exited will log nothing more: stop waiting then.
  eventually([&] { return logged() || reap(false); }, to_ms(seconds), std::chrono::milliseconds(20));
  return logged();
}

void Daemon::signal(int sig) const {
  if (pid_ > 0) ::kill(pid_, sig);
}

int Daemon::stop(int sig) {
  if (pid_ > 0) {
    ::kill(pid_, sig);
    reap(true);
  }
  return exit_code_;
}

std::optional<int> Daemon::wait_exit(double seconds) {
  if (!eventually([&] { return reap(false); }, to_ms(seconds), std::chrono::milliseconds(20))) return std::nullopt;
  return exit_code_;
}

}  // namespace dfs::testing
