// One real mount shared by the tests of this binary: started before the
// first test from $DFS_MOUNT_COMMAND (the mount point is appended; "{data}"
// becomes a fresh data directory), unmounted after the last one whatever
// happened. A mount that does not come up fails the run and says why.
#pragma once

#include <string>

namespace dfs::fuse::test {

// The mount point.
const std::string& mount_dir();
// A scratch directory outside the mount.
const std::string& scratch_dir();
// The mount's data directory ("{data}" of the command), or "" if it has none.
std::string data_dir();
// A new empty directory mount_dir()/name (removed first if left over).
std::string fresh_dir(const std::string& name);
// Runs `script` with bash -euo pipefail; returns its exit status and
// appends its output (stdout and stderr) to `output` if given.
int sh(const std::string& script, std::string* output = nullptr);

}  // namespace dfs::fuse::test
