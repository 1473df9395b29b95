// Helpers shared by the dfs and (later) dfsmount command lines: where the
// data directory is, human sizes, progress lines, and exit statuses.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <boost/program_options.hpp>

#include "dfs/control/control.hpp"
#include "dfs/util/result.hpp"

namespace dfs::cli {

// Exit statuses, the table of dfs(1) EXIT STATUS that dfs and dfsmount
// follow (tests/integration/exit_status_test.cpp holds every command to it):
// 0 success; 1 the operation failed (a file or ID not found, I/O, a full
// store, no peer reachable, no running peer where one is needed, a data
// directory that does not exist); 2 the command line or the config file is
// wrong (unknown option or command, a missing or extra operand, a
// malformed ID, size or address).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// --data if given, else $XDG_DATA_HOME/dfs, else $HOME/.local/share/dfs.
Result<std::string> resolve_data_dir(const std::optional<std::string>& flag);

// "1.5 GiB", "512 B".
std::string human_bytes(std::uint64_t bytes);
// "2026-12-06 23:05" in local time.
std::string local_time(std::int64_t unix_seconds);

// "10G", "512M", "4096", "1.5T" (binary units; B optional). 0 means none.
Result<std::uint64_t> parse_size(const std::string& text);

// Prints "<label>: 120 MiB / 1.0 GiB (12%), 850 MB/s" on stderr, redrawn at
// most ten times a second, only when stderr is a terminal and logging is
// not off (-q). finish() (or destruction) clears the line, so that what is
// printed next starts on a clean line.
class Progress {
 public:
  Progress(std::string label, std::uint64_t total);  // total 0 = unknown
  ~Progress() { finish(); }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  // `total` replaces the total given at construction when non-zero.
  void update(std::uint64_t done, std::uint64_t total = 0);
  void finish();

 private:
  void draw(std::uint64_t done);
  std::string label_;
  std::uint64_t total_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

// DATA/dfs.conf: one "option = value" per line (config_file.cpp).
std::string config_file_path(const std::string& data_dir);

// The options of `options` that the config file sets (others are left to
// other parsers); nullopt if there is no config file. An error names the
// line of a key that no dfs program knows (a typo) or that is not
// "name = value".
Result<std::optional<boost::program_options::parsed_options>> read_config_file(
    const std::string& path, const boost::program_options::options_description& options);
// The same for the file's text (`path` only names it in errors); fuzzed
// (tests/fuzz/fuzz_config_file.cpp).
Result<boost::program_options::parsed_options> parse_config_text(
    const std::string& path, const std::string& text, const boost::program_options::options_description& options);

// A command that only reads (ls, get, status, gc...) refuses a data
// directory that does not exist, so that a mistyped --data is an error,
// not an empty store; the commands that store (put, node, dfsmount) create it.
Status require_data_dir(const std::string& data_dir);

// Waits (up to `limit`) until no process holds the data directory open,
// when the one that held it is shutting down: a dfsmount unmounted by
// fusermount3 -u returns before its process has released the directory.
// Returns at once when nobody holds it, and once a peer has answered on
// the control socket for kLivePeerAnswers (it runs and will not let go):
// one answer is not enough, as the unmounted dfsmount answers until it
// stops serving (the next dfsmount then failed with "already open").
void await_data_dir_release(const std::string& data_dir, std::chrono::milliseconds limit);
inline constexpr std::chrono::milliseconds kLivePeerAnswers{2000};
// Long enough for a peer to commit its open files and close its store.
inline constexpr std::chrono::milliseconds kReleaseWait{30000};

// The peer running on `data_dir` (dfs node or dfsmount), for what only a
// running peer answers (peers, snapshot). Errc::unavailable, saying what to
// start, when none runs.
Result<std::unique_ptr<control::ControlClient>> running_peer(const std::string& data_dir);

// Prints "dfs: <context>: <message>" on stderr.
void print_error(const std::string& context, const Error& error);

}  // namespace dfs::cli
