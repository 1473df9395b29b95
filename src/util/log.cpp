#include "dfs/util/log.hpp"

#include <atomic>
#include <cstdio>
#include <string>

namespace dfs::log {

namespace {
// The only process-wide setting: written once at start-up, read by all.
std::atomic<Level> g_level{Level::warn};

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
}  // namespace

void set_level(Level level) { g_level.store(level, std::memory_order_relaxed); }
Level level() { return g_level.load(std::memory_order_relaxed); }

void write(Level lvl, std::string_view message) {
  if (lvl < level() || lvl == Level::off) return;
  // One fwrite per line so concurrent lines do not interleave.
  std::string line = std::string("dfs: ") + level_name(lvl) + ": ";
  line.append(message);
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);
}

void note(std::string_view message) {
  if (level() == Level::off) return;
  std::string line = "dfs: note: ";
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
