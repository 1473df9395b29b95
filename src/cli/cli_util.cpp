#include "cli_util.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <ctime>
#include <cstdlib>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <cerrno>
#include <thread>

#include "dfs/control/control.hpp"
#include "dfs/control/control_channel.hpp"
#include "dfs/util/file.hpp"
#include "dfs/util/log.hpp"

namespace dfs::cli {

Result<std::string> resolve_data_dir(const std::optional<std::string>& flag) {
  if (flag && !flag->empty()) return *flag;
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) return std::string(xdg) + "/dfs";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.local/share/dfs";
  return make_error(Errc::invalid_argument, "no data directory: set --data, XDG_DATA_HOME or HOME");
}

std::string local_time(std::int64_t unix_seconds) {
  char when[32];
  const std::time_t t = unix_seconds;
  std::tm tm{};
  ::localtime_r(&t, &tm);
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
  return when;
}

std::string human_bytes(std::uint64_t bytes) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 5) {
    value /= 1024;
    ++unit;
  }
  char buf[32];
  if (unit == 0) {
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  } else {
    std::snprintf(buf, sizeof buf, "%.1f %s", value, units[unit]);
  }
  return buf;
}

Result<std::uint64_t> parse_size(const std::string& text) {
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || value < 0 || !std::isfinite(value)) {
    return make_error(Errc::invalid_argument, "\"" + text + "\" is not a size (try 512M, 10G)");
  }
  std::string suffix(end);
  if (!suffix.empty() && (suffix.back() == 'B' || suffix.back() == 'b')) suffix.pop_back();
  if (suffix.size() == 2 && (suffix[1] == 'i' || suffix[1] == 'I')) suffix.pop_back();
  double scale = 1;
  if (suffix.size() > 1) return make_error(Errc::invalid_argument, "unknown size unit in \"" + text + "\"");
  if (suffix.size() == 1) {
    switch (suffix[0]) {
      case 'k': case 'K': scale = 1024.0; break;
      case 'm': case 'M': scale = 1024.0 * 1024; break;
      case 'g': case 'G': scale = 1024.0 * 1024 * 1024; break;
      case 't': case 'T': scale = 1024.0 * 1024 * 1024 * 1024; break;
      default: return make_error(Errc::invalid_argument, "unknown size unit in \"" + text + "\"");
    }
  }
  return static_cast<std::uint64_t>(value * scale);
}

Progress::Progress(std::string label, std::uint64_t total)
    : label_(std::move(label)),
      total_(total),
      enabled_(::isatty(STDERR_FILENO) == 1 && log::level() != log::Level::off),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

void Progress::finish() {
  if (drawn_) std::fputs("\r\033[K", stderr);  // clear the line we drew
  std::fflush(stderr);
  drawn_ = false;
  enabled_ = false;
}

void Progress::update(std::uint64_t done, std::uint64_t total) {
  if (!enabled_) return;
  if (total != 0) total_ = total;
  auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  draw(done);
}

void Progress::draw(std::uint64_t done) {
  double seconds = std::chrono::duration<double>(last_draw_ - start_).count();
  double rate = seconds > 0 ? static_cast<double>(done) / seconds / 1e6 : 0;
  std::string line = "\r\033[K" + label_ + ": " + human_bytes(done);
  if (total_ > 0) {
    line += " / " + human_bytes(total_) + " (" + std::to_string(done * 100 / total_) + "%)";
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, ", %.0f MB/s", rate);
  line += buf;
  std::fputs(line.c_str(), stderr);
  drawn_ = true;
}

Status require_data_dir(const std::string& data_dir) {
  struct stat st {};
  if (::stat(data_dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return {};
    return make_error(Errc::invalid_argument, "the data directory " + data_dir + " is not a directory");
  }
  if (errno != ENOENT) return errno_error("the data directory " + data_dir);
  return make_error(Errc::not_found, "no data directory " + data_dir +
                                         " (nothing was stored there: check --data; put, node and dfsmount "
                                         "create it)");
}

namespace {

// Whether some process holds the data directory's chunk store open
// (DiskChunkStore locks DIR/store/LOCK for as long as it is open).
bool data_dir_held(const std::string& data_dir) {
  auto lock = open_file(data_dir + "/store/LOCK", O_RDWR);
  if (!lock.ok()) return false;  // no store yet: nobody holds it
  if (::flock(lock->get(), LOCK_EX | LOCK_NB) == 0) return false;  // released when `lock` closes
  return errno == EWOULDBLOCK;
}

bool peer_answers(const std::string& data_dir) {
  auto client = control::ControlClient::connect(control::control_socket_path(data_dir));
  return client.ok() && client->has_value();
}

}  // namespace

void await_data_dir_release(const std::string& data_dir, std::chrono::milliseconds limit) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + limit;
  bool answering = false;
  Clock::time_point answering_since;  // while `answering`
  bool said = false;
  while (data_dir_held(data_dir) && Clock::now() < deadline) {
    // A dfsmount that fusermount3 -u just unmounted still answers until it
    // has stopped serving: only a peer that keeps answering is running.
    if (peer_answers(data_dir)) {
      if (!answering) answering_since = Clock::now();
      answering = true;
      if (Clock::now() - answering_since >= kLivePeerAnswers) return;
    } else {
      answering = false;
    }
    if (!said) log::info("waiting for the process that held " + data_dir + " to exit");
    said = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // it is exiting: a short wait
  }
}

Result<std::unique_ptr<control::ControlClient>> running_peer(const std::string& data_dir) {
  DFS_ASSIGN_OR_RETURN(auto client, control::ControlClient::connect(control::control_socket_path(data_dir)));
  if (!client) {
    return make_error(Errc::unavailable,
                      "no peer is running on " + data_dir + " (start one with 'dfs node' or dfsmount)");
  }
  return std::move(*client);
}

void print_error(const std::string& context, const Error& error) {
  std::fprintf(stderr, "dfs: %s: %s\n", context.c_str(), error.message.c_str());
}

}  // namespace dfs::cli
