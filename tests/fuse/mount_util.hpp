// Small helpers shared by the tests that start mounts themselves.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace dfs::fuse::test {

inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Whether `path` is a mount point of this process's mount namespace.
inline bool is_mounted(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(" " + path + " ") != std::string::npos) return true;
  }
  return false;
}

}  // namespace dfs::fuse::test
