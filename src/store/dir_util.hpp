// Small POSIX directory helpers private to store/.
#pragma once

#include <sys/stat.h>

#include <functional>
#include <string>

#include "dfs/util/result.hpp"

namespace dfs::store {

// Calls `fn(name, st)` for each entry of `dir` except "." and "..", with
// the entry's lstat. Entries that vanish during the walk are skipped. Stops
// at and returns the first error of `fn` or of the walk.
Status for_each_entry(const std::string& dir, const std::function<Status(const std::string&, const struct stat&)>& fn);

// mkdir that treats an existing directory as success; `created` tells
// whether this call made it.
Status make_dir(const std::string& path, bool* created = nullptr);

}  // namespace dfs::store
