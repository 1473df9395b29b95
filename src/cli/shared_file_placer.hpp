// dfs open, dfsmount's side: turns the client's path into one relative to
// the mount (fs::place_shared does the rest; control::OpenHandler) and drops the kernel's stale
// entry for the new name.
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
  // (not on this mount) and those of fs::place_shared.
  Result<std::string> place(const control::OpenSharedRequest& request);

 private:
  // The request's path, or its default: ./<ID> when the client works on
  // the mount, else MOUNTPOINT/<ID>.
  std::string target_of(const control::OpenSharedRequest& request) const;
  bool on_mount(const std::string& path) const;

  fs::FileSystem& fs_;
  fuse::Mount& mount_;
  const std::string mountpoint_;
};

}  // namespace dfs::cli
