// place_shared: `dfs open ID PATH`'s work on the filesystem: places the
// file a File ID names at a path of the namespace, as the user who asked.
// dfsmount's control socket calls it with the path made relative to its
// mount point; the rules are here so that they are tested without a mount.
#pragma once

#include <string>
#include <string_view>

#include "dfs/fs/filesystem.hpp"

namespace dfs::fs {

struct Placed {
  Ino parent = 0;    // the directory the file went into
  std::string name;  // its name there
  Attr attr;
};

// `path` is relative to the root ('/'-separated; "." parts are skipped,
// ".." is refused) and names the new file. The caller needs write and
// search permission on the parent, as the kernel would check them for a
// request through the mount (only the primary group counts: a control
// socket's peer credentials carry no other). Errors: invalid_argument (no
// file name, ".."), read_only (under .dfs), not_found/not_directory (a
// missing parent), permission_denied, already_exists, and what fetching the
// manifest met (not_found: no peer holds it); each message names `path`.
Result<Placed> place_shared(FileSystem& fs, const Caller& caller, const FileId& id, std::string_view path);

}  // namespace dfs::fs
