// A fresh scratch directory for a test, removed with its contents when the
// test ends: shared by every unit test that works on real files.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace dfs::testing {

class TempDir {
 public:
  // `prefix` names the directory (e.g. "dfs-store-test") so that one left
  // behind by a crash says where it came from.
  explicit TempDir(const std::string& prefix = "dfs-test") {
    std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty() && !kept_) std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  bool ok() const { return !path_.empty(); }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  // Leaves the directory behind: a failed test's logs and data, to read.
  void keep() { kept_ = true; }

 private:
  std::string path_;
  bool kept_ = false;
};

}  // namespace dfs::testing
