#include "dfs/util/process.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace dfs {

namespace {

// The value of line "NAME:\t..." of `status`, or nullopt.
std::optional<std::string_view> field(std::string_view status, std::string_view name) {
  std::size_t at = 0;
  while (at < status.size()) {
    std::size_t end = status.find('\n', at);
    if (end == std::string_view::npos) end = status.size();
    std::string_view line = status.substr(at, end - at);
    if (line.size() > name.size() && line.substr(0, name.size()) == name && line[name.size()] == ':') {
      line.remove_prefix(name.size() + 1);
      const std::size_t first = line.find_first_not_of(" \t");
      return first == std::string_view::npos ? std::string_view() : line.substr(first);
    }
    at = end + 1;
  }
  return std::nullopt;
}

Error malformed(std::string_view what) {
  return make_error(Errc::invalid_argument, "process status: no valid " + std::string(what) + " line");
}

}  // namespace

bool ProcessCredentials::in_group(std::uint32_t gid) const {
  return std::find(groups.begin(), groups.end(), gid) != groups.end();
}

Result<ProcessCredentials> parse_proc_status(std::string_view status) {
  ProcessCredentials creds;
  const auto caps = field(status, "CapEff");
  if (!caps || caps->empty()) return malformed("CapEff");
  const std::string_view hex = caps->substr(0, caps->find_first_of(" \t"));
  const auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), creds.effective_caps, 16);
  if (ec != std::errc() || end != hex.data() + hex.size()) return malformed("CapEff");
  const auto groups = field(status, "Groups");
  if (!groups) return malformed("Groups");
  std::string_view rest = *groups;
  while (!rest.empty()) {
    const std::size_t first = rest.find_first_not_of(" \t");
    if (first == std::string_view::npos) break;
    rest.remove_prefix(first);
    std::uint32_t gid = 0;
    const auto [next, gec] = std::from_chars(rest.data(), rest.data() + rest.size(), gid);
    if (gec != std::errc() || (next != rest.data() + rest.size() && *next != ' ' && *next != '\t')) {
      return malformed("Groups");
    }
    creds.groups.push_back(gid);
    rest.remove_prefix(static_cast<std::size_t>(next - rest.data()));
  }
  return creds;
}

Result<ProcessCredentials> process_credentials(std::uint32_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/status";
  std::ifstream in(path);
  if (!in) return make_error(Errc::not_found, "cannot read " + path + " (the process is gone?)");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_proc_status(text.str());
}

}  // namespace dfs
