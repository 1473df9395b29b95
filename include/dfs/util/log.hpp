// Minimal leveled logging to stderr, one line per event. The level and the
// line style are set once at start-up by the binary (from --verbose /
// --quiet, and whether it is a long-running peer); the settings are atomics
// so that workers may log concurrently.
#pragma once

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

void write(Level level, std::string_view message);
inline void debug(std::string_view m) { write(Level::debug, m); }
inline void info(std::string_view m) { write(Level::info, m); }
inline void warn(std::string_view m) { write(Level::warn, m); }
inline void error(std::string_view m) { write(Level::error, m); }
// A line for the user of a command, shown unless --quiet ("dfs: note: ...").
void note(std::string_view message);

}  // namespace dfs::log
