// DATA/dfs.conf: read by dfs, dfs node and dfsmount, each taking the
// settings it knows. A key none of them knows is refused with its line, so
// that a typo ("bootstrapp = ...") is not silently a lone peer.
#include <boost/algorithm/string/trim.hpp>
#include <fstream>
#include <sstream>

#include "cli_util.hpp"
#include "gc_command.hpp"
#include "mount_command_line.hpp"
#include "peer_options.hpp"

namespace po = boost::program_options;

namespace dfs::cli {

namespace {

// Every setting the config file may hold, in any of the three programs.
const po::options_description& config_file_options() {
  static const po::options_description all = [] {
    po::options_description desc;
    desc.add_options()("quota", po::value<std::string>());
    desc.add(peer_options_description());
    desc.add(gc_options_description());
    desc.add(mount_tuning_description());
    return desc;
  }();
  return all;
}

// Whether some dfs program takes `key`. Boost's lookup throws, not just
// answers no, for a key that several settings could be spelt from (an
// empty one matched them all: found by tests/fuzz/fuzz_config_file.cpp).
bool known_setting(const std::string& key) {
  try {
    return config_file_options().find_nothrow(key, false) != nullptr;
  } catch (const po::error&) {
    return false;
  }
}

// Bounded like every input: a config file is a few lines.
constexpr std::size_t kMaxConfigFileSize = 1u << 20;

Status check_keys(const std::string& path, const std::string& text) {
  std::istringstream lines(text);
  std::size_t number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number;
    boost::algorithm::trim(line);
    if (line.empty() || line[0] == '#') continue;
    const std::string where = path + " line " + std::to_string(number) + ": ";
    const auto eq = line.find('=');
    if (eq == std::string::npos) return make_error(Errc::invalid_argument, where + "expected \"name = value\"");
    std::string key = line.substr(0, eq);
    boost::algorithm::trim(key);
    if (key.empty()) return make_error(Errc::invalid_argument, where + "expected \"name = value\"");
    if (!known_setting(key)) {
      return make_error(Errc::invalid_argument,
                        where + "unknown setting \"" + key + "\" (the settings are listed in dfs(1), FILES)");
    }
  }
  return {};
}

}  // namespace

std::string config_file_path(const std::string& data_dir) { return data_dir + "/dfs.conf"; }

Result<std::optional<po::parsed_options>> read_config_file(const std::string& path,
                                                           const po::options_description& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::optional<po::parsed_options>();
  std::string text(kMaxConfigFileSize + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  DFS_ASSIGN_OR_RETURN(po::parsed_options parsed, parse_config_text(path, text, options));
  return std::optional(std::move(parsed));
}

Result<po::parsed_options> parse_config_text(const std::string& path, const std::string& text,
                                             const po::options_description& options) {
  if (text.size() > kMaxConfigFileSize) return make_error(Errc::invalid_argument, path + " is larger than 1 MiB");
  DFS_TRY(check_keys(path, text));
  std::istringstream stream(text);
  try {
    return po::parse_config_file(stream, options, /*allow_unregistered=*/true);
  } catch (const po::error& e) {
    return make_error(Errc::invalid_argument, path + ": " + e.what());
  }
}

}  // namespace dfs::cli
