// fuse/: the thin libfuse3 adapter between the kernel and fs::FileSystem
// (DESIGN.md §3). It turns each low-level FUSE request into one call on the
// FileSystem and its Result into a reply; errors become errno in one place
// (errno_of). No filesystem policy and no state live here: MOUNT/.dfs/ids
// is fs/id_directory.hpp's, whether the kernel may keep a file's cached
// pages is the FileSystem's (keeps_cache), and so are the listings of open
// directories (opendir/readdir_from, fs/dir_streams.hpp).
//
// Caching (close-to-open consistency, DESIGN.md §5): every change to the
// namespace goes through this mount, so the kernel may cache entries and
// attributes for a short timeout and keep a file's pages across opens when
// its size and mtime are unchanged since it was last closed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dfs/fs/filesystem.hpp"
#include "dfs/util/result.hpp"

struct fuse_session;

namespace dfs::fuse {

// The operation an error came from: POSIX gives some conditions a
// different errno depending on the call (a missing xattr is ENODATA, a
// non-owner's chmod is EPERM).
// xattr_buffer: a getxattr/listxattr whose buffer is too small (ERANGE);
// seek: SEEK_DATA/SEEK_HOLE at or past the end (ENXIO).
enum class Op { other, setattr, link, xattr, xattr_buffer, seek };

// errno for an fs error, per the mapping in fs/filesystem.hpp. Never 0.
int errno_of(const Error& error, Op op = Op::other);

inline constexpr std::uint32_t kDefaultMaxWrite = 1u << 20;  // 1 MiB: one chunk per request

struct MountOptions {
  std::string mountpoint;                  // absolute path of an existing directory
  std::vector<std::string> fuse_options;   // "-o" options for libfuse: allow_other, ro, ...
  // The mount's source as mount(8) and /proc/self/mountinfo show it, an
  // "fsname=" option (dfsmount: its data directory, commas escaped).
  std::string fsname_option = "fsname=dfs";
  double entry_timeout = 1.0;              // seconds the kernel may cache a name → inode
  double attr_timeout = 1.0;               // seconds the kernel may cache attributes
  std::uint32_t max_write = kDefaultMaxWrite;
  unsigned max_threads = 16;               // FUSE worker threads
  bool debug = false;                      // libfuse's request trace on stderr
};

// A mounted FileSystem. Construction mounts; run() serves requests until
// the filesystem is unmounted (fusermount3 -u) or a SIGINT/SIGTERM/SIGHUP
// arrives (handlers are installed by run()); destruction unmounts if still
// mounted. The FileSystem must outlive the Mount.
class Mount {
 public:
  static Result<std::unique_ptr<Mount>> create(fs::FileSystem& filesystem, const MountOptions& options);
  ~Mount();
  Mount(const Mount&) = delete;
  Mount& operator=(const Mount&) = delete;

  // The session's /dev/fuse descriptor (to keep it across a fork).
  int fd() const;

  // Serves requests on a multi-threaded loop; returns once unmounted or
  // stopped by a signal. Threads started before must block the stop
  // signals, so that the FUSE threads take them.
  Status run();

  // Unmounts now (idempotent).
  void unmount();

  // Drops the kernel's cached entry for parent/name, a negative one
  // included, after the namespace changed outside a FUSE request (dfs open
  // placing a file): the next lookup asks the FileSystem again. Must not be
  // called from a request handler. Best effort: failures are logged.
  void invalidate_entry(fs::Ino parent, std::string_view name);

  struct Adapter;

 private:
  Mount(std::unique_ptr<Adapter> adapter, fuse_session* session, MountOptions options);
  std::unique_ptr<Adapter> adapter_;
  fuse_session* session_;
  MountOptions options_;
  bool mounted_ = true;
};

}  // namespace dfs::fuse
