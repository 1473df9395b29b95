// Minimal leveled logging to stderr, one line per event. The level and the
// line style are set once at start-up by the binary (from --verbose /
// --quiet, and whether it is a long-running peer); the settings are atomics
// so that workers may log concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

namespace dfs::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3, off = 4 };

void set_level(Level level);
Level level();

// How a line starts. `plain` ("dfs: warning: ...") suits a one-shot
// command on a terminal; `timestamped` prefixes the UTC time to the
// millisecond, for the logs of a peer that runs for days; `journal` prefixes
// the syslog priority ("<4>dfs: warning: ...") that systemd-journald reads,
// which stamps the time itself.
enum class Style { plain, timestamped, journal };
void set_style(Style style);
// `journal` when stderr is the stream systemd connected to the journal
// ($JOURNAL_STREAM names its device and inode), else `timestamped`.
Style daemon_style();

// Every line passes through redact_ids: a File or directory ID is a read
// capability, and logs are read by whoever administers the machine, pasted
// into bug reports and kept for years. An ID ("dfs1" and 32 or more base32
// characters) keeps its first 12 characters, enough to tell IDs apart and
// none of the key, and the rest becomes "…".
std::string redact_ids(std::string_view message);
void write(Level level, std::string_view message);
inline void debug(std::string_view m) { write(Level::debug, m); }
inline void info(std::string_view m) { write(Level::info, m); }
inline void warn(std::string_view m) { write(Level::warn, m); }
inline void error(std::string_view m) { write(Level::error, m); }
// A line for the user of a command, shown unless --quiet ("dfs: note: ...").
void note(std::string_view message);

// Lines about what others make us do (a peer's refused frames, its
// connections) at a bounded rate: at most `burst` lines per `window`; the
// rest are counted, and the first line of the next window reports how
// many were suppressed. A flood then writes a bounded number of lines.
// Thread-safe (one lock, held only to count).
class RateLimited {
 public:
  using Sink = std::function<void(Level, std::string_view)>;
  RateLimited(std::size_t burst, std::chrono::milliseconds window, Sink sink);

  // Every line passes through redact_ids: a File or directory ID is a read
// capability, and logs are read by whoever administers the machine, pasted
// into bug reports and kept for years. An ID ("dfs1" and 32 or more base32
// characters) keeps its first 12 characters, enough to tell IDs apart and
// none of the key, and the rest becomes "…".
std::string redact_ids(std::string_view message);
void write(Level level, std::string_view message);
  // Lines suppressed since the start (for status and tests).
  std::uint64_t suppressed() const;

 private:
  std::size_t burst_;
  std::chrono::milliseconds window_;
  Sink sink_;
  mutable std::mutex mu_;  // guards the counters below
  std::chrono::steady_clock::time_point window_start_{};
  std::size_t in_window_ = 0;
  std::uint64_t suppressed_in_window_ = 0;
  std::uint64_t suppressed_total_ = 0;
};

}  // namespace dfs::log
