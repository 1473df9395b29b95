// dfs open, dfsmount's side: places the file a File ID names at a path on
// this mount (control::OpenHandler), as the user who asked.
#pragma once

#include <string>

#include "dfs/fs/filesystem.hpp"
#include "dfs/fuse/mount.hpp"
#include "dfs/control/control.hpp"

namespace dfs::cli {

class SharedFilePlacer {
 public:
  // `mountpoint`: absolute, symlinks resolved (as clients resolve theirs).
  SharedFilePlacer(fs::FileSystem& filesystem, fuse::Mount& mount, std::string mountpoint);

  // Places the file; returns its absolute path. Errors: invalid_argument
  // (not on this mount), read_only (under .dfs), not_found/not_directory
  // (a missing parent), permission_denied (the caller may not write the
  // parent), already_exists, and whatever fetching the manifest met.
  Result<std::string> place(const control::OpenSharedRequest& request);

 private:
  // The request's path, or its default: ./<ID> when the client works on
  // the mount, else MOUNTPOINT/<ID>.
  std::string target_of(const control::OpenSharedRequest& request) const;
  bool on_mount(const std::string& path) const;
  // The directory inode at `dir`, a path relative to the mount point.
  Result<fs::Attr> walk_to(const std::string& dir);

  fs::FileSystem& fs_;
  fuse::Mount& mount_;
  const std::string mountpoint_;
};

}  // namespace dfs::cli
