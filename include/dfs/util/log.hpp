// Minimal leveled logging to stderr, one line per event. The level is set
// once at start-up by the binary (from --verbose / --quiet); the setting is
// an atomic so that workers may log concurrently.
#pragma once

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

}  // namespace dfs::log
