// Mount: the libfuse session (mount, multi-threaded loop, unmount).
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <ctime>
#include <string>

#include "adapter.hpp"
#include "dfs/util/log.hpp"

namespace dfs::fuse {

namespace {

// fs errors → libfuse args owned by this object.
class FuseArgs {
 public:
  explicit FuseArgs(const MountOptions& options) {
    add("dfsmount");
    if (options.debug) add("-d");
    // The kernel checks permissions against the mode bits (as on a local fs).
    add("-o");
    add("default_permissions,subtype=dfs");
    add("-o");
    add(options.fsname_option);
    for (const auto& option : options.fuse_options) {
      add("-o");
      add(option);
    }
  }
  ~FuseArgs() { fuse_opt_free_args(&args_); }
  fuse_args* get() { return &args_; }

 private:
  void add(const std::string& arg) { fuse_opt_add_arg(&args_, arg.c_str()); }
  fuse_args args_ = FUSE_ARGS_INIT(0, nullptr);
};

}  // namespace

// ---- Mount -----------------------------------------------------------------

namespace {

// The "MAJOR:MINOR" of the filesystem mounted at `mountpoint`, from
// /proc/self/mountinfo (a stat of the mountpoint would wait for our own
// GETATTR reply, and the loop is not running yet). Empty if not found.
std::string mounted_device(const std::string& mountpoint) {
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string line, device;
  for (std::string id, parent, dev, root, point; std::getline(mountinfo, line);) {
    std::istringstream fields(line);
    if (fields >> id >> parent >> dev >> root >> point && point == mountpoint) device = dev;  // the last one wins
  }
  return device;
}

// The kernel reads ahead at most 128 KiB on a FUSE mount, so a sequential
// reader reached us in 128 KiB requests: 8 round trips per 1 MiB chunk.
// Raising the mount's own read-ahead to one chunk (a root-only knob: a
// mount by another user keeps the default) lets one request fetch a chunk.
void raise_read_ahead(const std::string& mountpoint, std::uint32_t bytes) {
  const std::string device = mounted_device(mountpoint);
  if (device.empty()) return;
  std::ofstream knob("/sys/class/bdi/" + device + "/read_ahead_kb");
  knob << bytes / 1024 << std::flush;
  if (!knob) log::info("fuse: kernel read-ahead of " + mountpoint + " stays at its default (not root?)");
}

}  // namespace

Result<std::unique_ptr<Mount>> Mount::create(fs::FileSystem& filesystem, const MountOptions& options) {
  if (options.max_write < 4096) return make_error(Errc::invalid_argument, "max_write below 4 KiB");
  auto adapter = std::make_unique<Adapter>(filesystem, options);
  FuseArgs args(options);
  const fuse_lowlevel_ops& ops = lowlevel_ops();
  fuse_session* session = fuse_session_new(args.get(), &ops, sizeof ops, adapter.get());
  if (session == nullptr) {
    return make_error(Errc::invalid_argument, "libfuse refused the mount options (see the line above)");
  }
  if (fuse_session_mount(session, options.mountpoint.c_str()) != 0) {
    fuse_session_destroy(session);
    return make_error(Errc::io_error, "cannot mount on " + options.mountpoint +
                                          " (is it an existing directory, is /dev/fuse there, is fusermount3 installed?)");
  }
  raise_read_ahead(options.mountpoint, options.max_write);
  return std::unique_ptr<Mount>(new Mount(std::move(adapter), session, options));
}

Mount::Mount(std::unique_ptr<Adapter> adapter, fuse_session* session, MountOptions options)
    : adapter_(std::move(adapter)), session_(session), options_(std::move(options)) {}

Mount::~Mount() {
  unmount();
  fuse_session_destroy(session_);
}

int Mount::fd() const { return fuse_session_fd(session_); }

Status Mount::run() {
  if (fuse_set_signal_handlers(session_) != 0) return make_error(Errc::internal, "cannot install signal handlers");
  fuse_loop_config* config = fuse_loop_cfg_create();
  fuse_loop_cfg_set_max_threads(config, options_.max_threads);
  fuse_loop_cfg_set_idle_threads(config, options_.max_threads / 2);
  const int rc = fuse_session_loop_mt(session_, config);
  fuse_loop_cfg_destroy(config);
  fuse_remove_signal_handlers(session_);
  unmount();
  if (rc < 0) return make_error(Errc::io_error, std::string("FUSE loop failed: ") + std::strerror(-rc));
  return {};
}

void Mount::invalidate_entry(fs::Ino parent, std::string_view name) {
  const int rc = fuse_lowlevel_notify_inval_entry(session_, parent, name.data(), name.size());
  // ENOENT: the kernel had nothing cached under that name, nothing to drop.
  if (rc != 0 && rc != -ENOENT) {
    log::warn("fuse: cannot drop the kernel's entry for " + std::string(name) + ": " + std::strerror(-rc));
  }
}

void Mount::unmount() {
  if (!mounted_) return;
  mounted_ = false;
  fuse_session_unmount(session_);
}

}  // namespace dfs::fuse
