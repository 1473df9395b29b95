#include "shared_file_placer.hpp"

#include <sys/stat.h>

#include <filesystem>

#include "dfs/util/log.hpp"

namespace dfs::cli {

namespace {

// Write and search permission on a directory, as the kernel checks it
// (default_permissions) for requests that come through the mount, except
// that only the primary group counts: SO_PEERCRED carries no other.
bool may_add_entry(const fs::Attr& dir, std::uint32_t uid, std::uint32_t gid) {
  if (uid == 0) return true;
  constexpr std::uint32_t kWriteSearch = 03;
  std::uint32_t bits = dir.mode;  // "other"
  if (dir.uid == uid) {
    bits = dir.mode >> 6;
  } else if (dir.gid == gid) {
    bits = dir.mode >> 3;
  }
  return (bits & kWriteSearch) == kWriteSearch;
}

}  // namespace

SharedFilePlacer::SharedFilePlacer(fs::FileSystem& filesystem, fuse::Mount& mount, std::string mountpoint)
    : fs_(filesystem), mount_(mount), mountpoint_(std::move(mountpoint)) {}

bool SharedFilePlacer::on_mount(const std::string& path) const {
  return path == mountpoint_ || path.starts_with(mountpoint_ + "/");
}

std::string SharedFilePlacer::target_of(const control::OpenSharedRequest& request) const {
  if (!request.path.empty()) return request.path;
  const std::string dir = on_mount(request.cwd) ? request.cwd : mountpoint_;
  return dir + "/" + request.id.to_string();
}

Result<fs::Attr> SharedFilePlacer::walk_to(const std::string& dir) {
  DFS_ASSIGN_OR_RETURN(fs::Attr at, fs_.getattr(fs::kRootIno));
  for (const auto& part : std::filesystem::path(dir)) {
    const std::string name = part.string();
    if (name.empty() || name == ".") continue;
    if (name == "..") return make_error(Errc::invalid_argument, "the path must not contain '..'");
    if (at.ino == fs::kRootIno && name == fuse::kDotDfsName) {
      return make_error(Errc::read_only, std::string(fuse::kDotDfsName) + " is the mount's own read-only directory");
    }
    DFS_ASSIGN_OR_RETURN(at, fs_.lookup(at.ino, name));
    if (!S_ISDIR(at.mode)) return make_error(Errc::not_directory, name + " is not a directory");
  }
  return at;
}

Result<std::string> SharedFilePlacer::place(const control::OpenSharedRequest& request) {
  const std::string target = target_of(request);
  if (!on_mount(target) || target == mountpoint_) {
    return make_error(Errc::invalid_argument, target + " is not on the dfs mount at " + mountpoint_);
  }
  const std::filesystem::path relative = std::filesystem::path(target.substr(mountpoint_.size() + 1));
  const std::string name = relative.filename().string();
  if (name.empty() || name == "." || name == "..") {
    return make_error(Errc::invalid_argument, target + " does not end in a file name");
  }
  auto parent = walk_to(relative.parent_path().string());
  if (!parent.ok()) return Error{parent.error().code, target + ": " + parent.error().message};
  if (parent->ino == fs::kRootIno && name == fuse::kDotDfsName) {
    return make_error(Errc::already_exists, target + " already exists");
  }
  if (!may_add_entry(*parent, request.uid, request.gid)) {
    return make_error(Errc::permission_denied, "no permission to create files in " +
                                                   std::filesystem::path(target).parent_path().string());
  }
  const fs::Caller caller{request.uid, request.gid, request.umask};
  auto placed = fs_.open_shared(caller, request.id, parent->ino, name);
  if (!placed.ok()) {
    Error error = placed.take_error();
    if (error.code == Errc::already_exists) {
      error.message = target + " already exists";
    } else if (error.code == Errc::not_found) {
      error.message = target + ": no peer holds a file with that ID (" + error.message + ")";
    } else {
      error.message = target + ": " + error.message;
    }
    log::warn("dfs open: " + error.message);
    return error;
  }
  // The kernel may remember that the name did not exist (a negative
  // entry from an earlier lookup) and would hide the file until it expires.
  mount_.invalidate_entry(parent->ino, name);
  log::info("dfs open: placed " + request.id.manifest.short_hex() + " at " + target);
  return target;
}

}  // namespace dfs::cli
