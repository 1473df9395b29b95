#include "shared_file_placer.hpp"

#include "dfs/fs/place_shared.hpp"
#include "dfs/util/log.hpp"

namespace dfs::cli {

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

Result<std::string> SharedFilePlacer::place(const control::OpenSharedRequest& request) {
  const std::string target = target_of(request);
  if (!on_mount(target) || target == mountpoint_) {
    return make_error(Errc::invalid_argument, target + " is not on the dfs mount at " + mountpoint_);
  }
  const fs::Caller caller{request.uid, request.gid, request.umask};
  auto placed = fs::place_shared(fs_, caller, request.id, target.substr(mountpoint_.size() + 1));
  if (!placed.ok()) return placed.take_error();
  // The kernel may remember that the name did not exist (a negative
  // entry from an earlier lookup) and would hide the file until it expires.
  mount_.invalidate_entry(placed->parent, placed->name);
  log::info("dfs open: placed " + request.id.manifest.short_hex() + " at " + target);
  return target;
}

}  // namespace dfs::cli
