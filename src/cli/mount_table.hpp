// The dfs mounts of this machine, read from /proc/self/mountinfo. dfsmount
// mounts with the type "fuse.dfs" and its data directory as the source, so
// that `dfs open PATH` finds from PATH the data directory whose dfsmount
// serves it (as `dfs id` finds the mount from the file), and dfsmount
// refuses to mount on or inside another dfs mount.
#pragma once

#include <optional>
#include <string>

namespace dfs::cli {

inline constexpr const char* kMountType = "fuse.dfs";

struct DfsMount {
  std::string mountpoint;
  std::string data_dir;  // empty for a mount that did not record it
};

// The dfs mount that holds `path` (absolute, symlinks resolved): the
// innermost mount at `path` or above it, if that mount is a dfs mount.
std::optional<DfsMount> dfs_mount_holding(const std::string& path);

// The same, from the text of a mountinfo file (for tests).
std::optional<DfsMount> dfs_mount_holding(const std::string& path, const std::string& mountinfo);

// `data_dir` as a libfuse "fsname=" value: commas and backslashes escaped.
std::string fsname_option(const std::string& data_dir);

}  // namespace dfs::cli
