// place_shared: walks the path, checks the caller may add an entry to its
// parent, and calls open_shared (which refuses the .dfs names itself).
#include "dfs/fs/place_shared.hpp"

#include <sys/stat.h>

#include <filesystem>

#include "dfs/util/log.hpp"

namespace dfs::fs {

namespace {

// Write and search permission on a directory, as the kernel checks it with
// default_permissions (primary group only).
bool may_add_entry(const Attr& dir, const Caller& caller) {
  if (caller.uid == 0) return true;
  constexpr std::uint32_t kWriteSearch = 03;
  std::uint32_t bits = dir.mode;  // "other"
  if (dir.uid == caller.uid) {
    bits = dir.mode >> 6;
  } else if (dir.gid == caller.gid) {
    bits = dir.mode >> 3;
  }
  return (bits & kWriteSearch) == kWriteSearch;
}

// The directory inode at `dir`, relative to the root.
Result<Attr> walk_to(FileSystem& fs, const std::filesystem::path& dir) {
  DFS_ASSIGN_OR_RETURN(Attr at, fs.getattr(kRootIno));
  for (const auto& part : dir) {
    const std::string name = part.string();
    if (name.empty() || name == "." || name == "/") continue;
    if (name == "..") return make_error(Errc::invalid_argument, "the path must not contain '..'");
    DFS_ASSIGN_OR_RETURN(at, fs.lookup(at.ino, name));
    if (!S_ISDIR(at.mode)) return make_error(Errc::not_directory, name + " is not a directory");
  }
  return at;
}

Error naming(std::string_view path, Error error) {
  error.message = error.code == Errc::already_exists ? std::string(path) + " already exists"
                                                     : std::string(path) + ": " + error.message;
  return error;
}

}  // namespace

Result<Placed> place_shared(FileSystem& fs, const Caller& caller, const FileId& id, std::string_view path) {
  const std::filesystem::path relative(path);
  Placed placed;
  placed.name = relative.filename().string();
  if (placed.name.empty() || placed.name == "." || placed.name == "..") {
    return make_error(Errc::invalid_argument, std::string(path) + " does not end in a file name");
  }
  auto parent = walk_to(fs, relative.parent_path());
  if (!parent.ok()) return naming(path, parent.take_error());
  if (!may_add_entry(*parent, caller)) {
    return make_error(Errc::permission_denied, "no permission to create files in the directory of " + std::string(path));
  }
  placed.parent = parent->ino;
  auto attr = fs.open_shared(caller, id, placed.parent, placed.name);
  if (!attr.ok()) {
    Error error = attr.take_error();
    if (error.code == Errc::not_found) error.message = "no peer holds a file with that ID (" + error.message + ")";
    error = naming(path, std::move(error));
    log::warn("dfs open: " + error.message);
    return error;
  }
  placed.attr = *attr;
  return placed;
}

}  // namespace dfs::fs
