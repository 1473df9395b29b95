#include "mount_table.hpp"

#include <fstream>
#include <sstream>
#include <vector>

namespace dfs::cli {

namespace {

// mountinfo writes space, tab, newline and backslash as \ and three octal digits.
std::string unescape(const std::string& field) {
  const auto is_octal = [](char c) { return c >= '0' && c <= '7'; };
  std::string out;
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size() && is_octal(field[i + 1]) && is_octal(field[i + 2]) &&
        is_octal(field[i + 3])) {
      out.push_back(static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(field[i]);
    }
  }
  return out;
}

// Whether `path` is `mountpoint` or below it.
bool is_within(const std::string& path, const std::string& mountpoint) {
  if (mountpoint == "/") return true;
  if (path.compare(0, mountpoint.size(), mountpoint) != 0) return false;
  return path.size() == mountpoint.size() || path[mountpoint.size()] == '/';
}

struct Entry {
  std::string mountpoint;
  std::string type;
  std::string source;
};

// One line: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [TAGS...] - TYPE SOURCE SUPER".
std::optional<Entry> parse_line(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> fields;
  for (std::string f; in >> f;) fields.push_back(f);
  std::size_t dash = 6;
  while (dash < fields.size() && fields[dash] != "-") ++dash;
  if (fields.size() < 5 || dash + 2 >= fields.size()) return std::nullopt;
  return Entry{unescape(fields[4]), fields[dash + 1], unescape(fields[dash + 2])};
}

}  // namespace

std::optional<DfsMount> dfs_mount_holding(const std::string& path, const std::string& mountinfo) {
  std::optional<Entry> innermost;
  std::istringstream lines(mountinfo);
  for (std::string line; std::getline(lines, line);) {
    auto entry = parse_line(line);
    if (!entry || !is_within(path, entry->mountpoint)) continue;
    // Later lines are mounted later: one over another at the same place hides it.
    if (!innermost || entry->mountpoint.size() >= innermost->mountpoint.size()) innermost = std::move(entry);
  }
  if (!innermost || innermost->type != kMountType) return std::nullopt;
  DfsMount mount{innermost->mountpoint, {}};
  if (!innermost->source.empty() && innermost->source[0] == '/') mount.data_dir = innermost->source;
  return mount;
}

std::optional<DfsMount> dfs_mount_holding(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::stringstream text;
  text << in.rdbuf();
  return dfs_mount_holding(path, text.str());
}

std::string fsname_option(const std::string& data_dir) {
  std::string out = "fsname=";
  for (char c : data_dir) {
    if (c == ',' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace dfs::cli
