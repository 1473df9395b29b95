#include "dfs/util/log.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

namespace dfs::log {

namespace {
// The only process-wide setting: written once at start-up, read by all.
std::atomic<Level> g_level{Level::warn};
std::atomic<Style> g_style{Style::plain};

const char* level_name(Level level) {
  switch (level) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warning";
    case Level::error: return "error";
    case Level::off: return "";
  }
  return "";
}

// syslog(3) priorities, as sd-daemon(3) prefixes them.
const char* journal_priority(Level level) {
  switch (level) {
    case Level::debug: return "<7>";
    case Level::info: return "<6>";
    case Level::warn: return "<4>";
    case Level::error: return "<3>";
    case Level::off: return "";
  }
  return "";
}

std::string timestamp() {
  struct timespec ts {};
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm {};
  gmtime_r(&ts.tv_sec, &tm);
  char buf[40];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03ldZ ", ts.tv_nsec / 1000000);
  return buf;
}

std::string prefix(Level level) {
  switch (g_style.load(std::memory_order_relaxed)) {
    case Style::plain: return "dfs: ";
    case Style::timestamped: return timestamp() + "dfs: ";
    case Style::journal: return std::string(journal_priority(level)) + "dfs: ";
  }
  return "dfs: ";
}
}  // namespace

void set_level(Level level) { g_level.store(level, std::memory_order_relaxed); }
Level level() { return g_level.load(std::memory_order_relaxed); }
void set_style(Style style) { g_style.store(style, std::memory_order_relaxed); }

Style daemon_style() {
  const char* stream = std::getenv("JOURNAL_STREAM");  // "DEVICE:INODE"
  struct stat st {};
  if (stream == nullptr || ::fstat(STDERR_FILENO, &st) != 0) return Style::timestamped;
  unsigned long long device = 0, inode = 0;
  if (std::sscanf(stream, "%llu:%llu", &device, &inode) != 2) return Style::timestamped;
  const bool journal = device == static_cast<unsigned long long>(st.st_dev) &&
                       inode == static_cast<unsigned long long>(st.st_ino);
  return journal ? Style::journal : Style::timestamped;
}

namespace {
bool is_base32(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7'); }
bool is_id_prefix(std::string_view s) {
  return s.size() >= 4 && (s[0] | 0x20) == 'd' && (s[1] | 0x20) == 'f' && (s[2] | 0x20) == 's' && s[3] == '1';
}
constexpr std::size_t kIdShownChars = 12;    // "dfs1" and 8 base32 characters (40 bits of the manifest ID)
constexpr std::size_t kIdMinBase32Run = 32;  // shorter runs are no capability (a key alone is 52)
}  // namespace

std::string redact_ids(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  std::size_t copied = 0;  // message[0, copied) is in `out`
  for (std::size_t at = message.find_first_of("dD"); at != std::string_view::npos;
       at = message.find_first_of("dD", at + 1)) {
    if (at < copied || !is_id_prefix(message.substr(at))) continue;
    std::size_t end = at + 4;
    while (end < message.size() && is_base32(message[end])) ++end;
    if (end - at - 4 < kIdMinBase32Run) continue;
    out.append(message.substr(copied, at + kIdShownChars - copied));
    out.append("\u2026");
    copied = end;
  }
  out.append(message.substr(copied));
  return out;
}

void write(Level lvl, std::string_view message) {
  if (lvl < level() || lvl == Level::off) return;
  // One fwrite per line so concurrent lines do not interleave.
  std::string line = prefix(lvl) + level_name(lvl) + ": ";
  line.append(redact_ids(message));
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);
}

void note(std::string_view message) {
  if (level() == Level::off) return;
  std::string line = prefix(Level::info) + "note: ";
  line.append(message);
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);
}

RateLimited::RateLimited(std::size_t burst, std::chrono::milliseconds window, Sink sink)
    : burst_(burst), window_(window), sink_(std::move(sink)) {}

void RateLimited::write(Level lvl, std::string_view message) {
  std::uint64_t report = 0;
  {
    std::lock_guard lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    if (now - window_start_ >= window_) {
      report = suppressed_in_window_;
      window_start_ = now;
      in_window_ = 0;
      suppressed_in_window_ = 0;
    }
    if (in_window_ >= burst_) {
      ++suppressed_in_window_;
      ++suppressed_total_;
      return;
    }
    ++in_window_;
  }
  if (report > 0) {
    sink_(Level::warn, std::to_string(report) + " similar log lines suppressed (at most " + std::to_string(burst_) +
                           " per " + std::to_string(window_.count() / 1000) + " s)");
  }
  sink_(lvl, message);
}

std::uint64_t RateLimited::suppressed() const {
  std::lock_guard lock(mu_);
  return suppressed_total_;
}

}  // namespace dfs::log
