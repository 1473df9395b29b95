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

}  // namespace dfs::log
