// Mount: the libfuse session (mount, multi-threaded loop, unmount) and the
// adapter's shared state: page-cache stamps and the .dfs/ids resolver.
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

fs::Timespec realtime_now() {
  struct timespec ts {};
  clock_gettime(CLOCK_REALTIME, &ts);
  return fs::Timespec{ts.tv_sec, ts.tv_nsec};
}

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

// ---- Adapter ---------------------------------------------------------------

Mount::Adapter::Adapter(fs::FileSystem& filesystem, const MountOptions& options)
    : fs(filesystem),
      entry_timeout(options.entry_timeout),
      attr_timeout(options.attr_timeout),
      max_write(options.max_write),
      mounted_at(realtime_now()) {}

bool Mount::Adapter::note_open(fs::Ino ino, const fs::Attr& attr) {
  const Stamp stamp{attr.size, attr.mtime};
  std::lock_guard lock(mutex);
  auto [it, inserted] = stamps.try_emplace(ino, stamp);
  if (inserted) return false;  // nothing known about the cached pages
  const bool same = it->second == stamp;
  it->second = stamp;
  return same;
}

void Mount::Adapter::note_close(fs::Ino ino, const fs::Attr& attr) {
  std::lock_guard lock(mutex);
  stamps[ino] = Stamp{attr.size, attr.mtime};
}

bool Mount::Adapter::is_shared(fs::Ino ino) {
  std::lock_guard lock(mutex);
  return shared.count(ino) != 0;
}

Result<fs::Ino> Mount::Adapter::hidden_ids_dir() {
  {
    std::lock_guard lock(mutex);
    if (hidden_ids) return *hidden_ids;
  }
  const fs::Caller owner{0, 0, 077};
  fs::Ino dir = fs::kRootIno;
  for (std::string_view name : {kDotDfsName, kIdsName}) {
    auto found = fs.lookup(dir, name);
    if (!found.ok() && found.error().code == Errc::not_found) found = fs.mkdir(owner, dir, name, 0755);
    if (!found.ok() && found.error().code == Errc::already_exists) found = fs.lookup(dir, name);  // a race
    if (!found.ok()) return found.take_error();
    dir = found->ino;
  }
  std::lock_guard lock(mutex);
  hidden_ids = dir;
  return dir;
}

Result<fs::Attr> Mount::Adapter::resolve_id(const fs::Caller& caller, std::string_view name) {
  auto id = FileId::parse(name);
  if (!id.ok()) {
    log::warn("fuse: .dfs/ids/" + std::string(name.substr(0, 16)) + (name.size() > 16 ? "…" : "") +
              ": not a File ID: " + id.error().message);
    // ENOENT, not EINVAL: a lookup miss lets mkdir/create report EROFS.
    return make_error(Errc::not_found, id.error().message);
  }
  DFS_ASSIGN_OR_RETURN(const fs::Ino dir, hidden_ids_dir());
  const std::string canonical = id->to_string();
  auto attr = fs.lookup(dir, canonical);
  if (!attr.ok() && attr.error().code == Errc::not_found) {
    attr = fs.open_shared(caller, *id, dir, canonical);
    if (!attr.ok() && attr.error().code == Errc::already_exists) attr = fs.lookup(dir, canonical);
    if (!attr.ok()) log::warn("fuse: .dfs/ids/" + canonical.substr(0, 16) + "…: " + attr.error().to_string());
  }
  if (attr.ok()) {
    std::lock_guard lock(mutex);
    shared.insert(attr->ino);
  }
  return attr;
}

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
