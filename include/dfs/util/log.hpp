// Minimal leveled logging to stderr, one line per event. The level is set
// once at start-up by the binary (from --verbose / --quiet); the setting is
// an atomic so that workers may log concurrently.
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
