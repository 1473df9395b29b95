// Helpers shared by the dfs and (later) dfsmount command lines: where the
// data directory is, human sizes, progress lines, and exit statuses.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <boost/program_options.hpp>

#include "dfs/util/result.hpp"

namespace dfs::cli {

// Exit statuses: 0 success, 1 the operation failed, 2 the command line was wrong.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// --data if given, else $XDG_DATA_HOME/dfs, else $HOME/.local/share/dfs.
Result<std::string> resolve_data_dir(const std::optional<std::string>& flag);

// "1.5 GiB", "512 B".
std::string human_bytes(std::uint64_t bytes);

// "10G", "512M", "4096", "1.5T" (binary units; B optional). 0 means none.
Result<std::uint64_t> parse_size(const std::string& text);

// Prints "<label>: 120 MiB / 1.0 GiB (12%), 850 MB/s" on stderr, redrawn at
// most ten times a second, only when stderr is a terminal.
class Progress {
 public:
  Progress(std::string label, std::uint64_t total);  // total 0 = unknown
  ~Progress();
  // `total` replaces the total given at construction when non-zero.
  void update(std::uint64_t done, std::uint64_t total = 0);

 private:
  void draw(std::uint64_t done);
  std::string label_;
  std::uint64_t total_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

// DATA/dfs.conf: one "option = value" per line, for any long option.
std::string config_file_path(const std::string& data_dir);

// The options of `options` that the config file sets (others are left to
// other parsers); nullopt if there is no config file.
std::optional<boost::program_options::parsed_options> read_config_file(
    const std::string& path, const boost::program_options::options_description& options);

// Prints "dfs: <context>: <message>" on stderr.
void print_error(const std::string& context, const Error& error);

}  // namespace dfs::cli
