// FileSystem: the filesystem core behind dfsmount (DESIGN.md §5), written
// against the index and the node, never against FUSE, so that every POSIX
// rule is testable without a mount. fuse/ is a thin adapter over this class:
// it maps requests to these calls and Errc to errno (nothing else).
//
// Namespace: inodes, directory entries, attributes and xattrs live in the
// SQLite index (index/). A regular file's content is a manifest of sealed
// chunks (chunk/); while a file is open for writing its changed chunks
// live in a write-back area and are sealed, stored and committed (new
// manifest + attributes, one transaction) on flush/fsync/release, so the
// namespace always shows each file as of its last completed close or
// fsync (close-to-open consistency, crash safety). Unchanged chunks keep
// their IDs. Durability (open_filesystem.hpp, FsOptions::commit_interval):
// a completed close survives the process dying at once and a power loss
// within the commit interval; fsync and sync_all make it durable at once. With a network attached, a commit on flush/release queues
// the new chunks for replication in the background (close never waits on
// the network); `fsync` returns once the data is durable locally and the
// network acknowledged R copies.
//
// Threading: all methods are thread-safe (FUSE runs a multi-threaded loop).
//
// Errors: Errc values; the adapter maps them (fuse/errno.cpp, the one
// place): not_found→ENOENT, already_exists→EEXIST, not_empty→ENOTEMPTY,
// is_directory→EISDIR, not_directory→ENOTDIR, name_too_long→ENAMETOOLONG,
// invalid_argument→EINVAL, permission_denied→EACCES, read_only→EROFS,
// no_space→ENOSPC, not_supported→EOPNOTSUPP, cross_device→EXDEV,
// too_many_links→EMLINK, too_large→EFBIG, unavailable/timed_out/corrupt/
// io_error→EIO.
// Where one code means a different errno for one call:
//  - getxattr, removexattr, setxattr(XATTR_REPLACE): not_found = no such
//    attribute → ENODATA; not_supported (a non-user.* name) → EOPNOTSUPP;
//    name_too_long → ERANGE; too_large (value > 64 KiB) → E2BIG;
//    permission_denied (user.dfs.id set to another value, user.* on a
//    symlink or special file) → EPERM.
//  - setattr (chmod/chown/utimes refused) and link() of a directory
//    (is_directory) or refused: EPERM.
//  - seek_data at or past the end: not_found → ENXIO.
//  - read/write/flush/fsync/release on an unknown handle, read on a
//    write-only or write on a read-only handle: invalid_argument → EBADF.
//  - open of a directory: is_directory; of a symlink: invalid_argument.
//  - rename into its own subtree: invalid_argument → EINVAL.
// The factory is in open_filesystem.hpp.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dfs/chunk/file_id.hpp"
#include "dfs/fs/snapshot.hpp"
#include "dfs/util/bytes.hpp"

namespace dfs::fs {

// A read's bytes as views into buffers that `owners` keep alive: what
// read() copies into the caller's buffer, for a caller that only hands the
// bytes on (the FUSE adapter replies straight from them) and would
// otherwise copy every byte once more.
struct ReadPieces {
  std::vector<ByteView> pieces;                     // in file order
  std::vector<std::shared_ptr<const void>> owners;  // keep `pieces` valid

  std::size_t size() const {
    std::size_t total = 0;
    for (ByteView piece : pieces) total += piece.size();
    return total;
  }
  // A piece in a buffer of its own.
  void add_owned(std::shared_ptr<const Bytes> buffer) {
    if (buffer->empty()) return;
    pieces.emplace_back(*buffer);
    owners.push_back(std::move(buffer));
  }
};

using Ino = std::uint64_t;
using FileHandle = std::uint64_t;

inline constexpr Ino kRootIno = 1;

struct Timespec {
  std::int64_t sec = 0;
  std::int64_t nsec = 0;
  bool operator==(const Timespec&) const = default;
};

struct Attr {
  Ino ino = 0;
  std::uint32_t mode = 0;   // type bits (S_IFREG, S_IFDIR, S_IFLNK, S_IFIFO...) + permissions
  std::uint32_t nlink = 0;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::uint64_t size = 0;
  std::uint64_t blocks = 0;  // 512-byte blocks
  std::uint64_t rdev = 0;    // a device's number (S_IFCHR, S_IFBLK)
  Timespec atime, mtime, ctime;
};

struct DirEntry {
  std::string name;
  Ino ino = 0;
  std::uint32_t mode = 0;
};

// Who is asking: owner of new files, permission checks.
struct Caller {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::uint32_t umask = 022;
  std::uint32_t pid = 0;  // the calling thread (for its capabilities); 0: unknown, taken as unprivileged
};

// What setattr changes (unset fields stay).
struct SetAttr {
  std::optional<std::uint32_t> mode;  // permission bits only
  std::optional<std::uint32_t> uid;
  std::optional<std::uint32_t> gid;
  std::optional<std::uint64_t> size;  // truncate / extend
  std::optional<Timespec> atime;
  std::optional<Timespec> mtime;
  bool atime_now = false;             // UTIME_NOW: the filesystem's clock (atime unset)
  bool mtime_now = false;
};

struct StatFs {
  std::uint64_t block_size = 4096;
  std::uint64_t blocks = 0;       // capacity (quota, or the disk's)
  std::uint64_t blocks_free = 0;
  std::uint64_t files = 0;
  std::uint64_t files_free = 0;
  std::uint32_t name_max = 255;
};

// rename flags, as renameat2.
inline constexpr unsigned kRenameNoReplace = 1;
inline constexpr unsigned kRenameExchange = 2;

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  virtual Result<Attr> lookup(Ino parent, std::string_view name) = 0;
  virtual Result<Attr> getattr(Ino ino) = 0;
  virtual Result<Attr> setattr(const Caller& caller, Ino ino, const SetAttr& changes,
                               std::optional<FileHandle> fh) = 0;
  virtual Result<std::vector<DirEntry>> readdir(Ino dir) = 0;  // without "." and ".."
  // Directory streams (dir_streams.hpp): a listing with "." and ".." that
  // keeps its offsets while a reader takes it in pieces; `max` entries at
  // most from `offset`. Each FileSystem answers them with a DirStreams of
  // its own, so that the adapter keeps no listing.
  virtual Result<FileHandle> opendir(Ino dir) = 0;
  virtual Result<std::vector<DirEntry>> readdir_from(FileHandle dh, Ino dir, std::uint64_t offset,
                                                     std::size_t max) = 0;
  virtual Status releasedir(FileHandle dh) = 0;

  virtual Result<Attr> mkdir(const Caller& caller, Ino parent, std::string_view name, std::uint32_t mode) = 0;
  // A FIFO, socket, character or block device (rdev), or an empty regular
  // file, as mknod(2): `mode` carries the type. Special files have no
  // content and no File ID. Who may make devices is the kernel's check.
  virtual Result<Attr> mknod(const Caller& caller, Ino parent, std::string_view name, std::uint32_t mode,
                             std::uint64_t rdev) = 0;
  virtual Status rmdir(Ino parent, std::string_view name) = 0;
  virtual Status unlink(Ino parent, std::string_view name) = 0;
  virtual Status rename(Ino parent, std::string_view name, Ino new_parent, std::string_view new_name,
                        unsigned flags) = 0;
  virtual Result<Attr> link(Ino ino, Ino new_parent, std::string_view new_name) = 0;
  virtual Result<Attr> symlink(const Caller& caller, std::string_view target, Ino parent, std::string_view name) = 0;
  virtual Result<std::string> readlink(Ino ino) = 0;

  // open flags as open(2) (O_ACCMODE, O_TRUNC, O_APPEND...).
  virtual Result<std::pair<Attr, FileHandle>> create(const Caller& caller, Ino parent, std::string_view name,
                                                     std::uint32_t mode, int flags) = 0;
  virtual Result<FileHandle> open(Ino ino, int flags) = 0;
  // Close-to-open caching: whether the pages a reader may have cached of
  // the file before this open are still its content (its size and mtime
  // are those of its last open or close), so the kernel may keep them.
  virtual bool keeps_cache(FileHandle) { return false; }
  // Whether the handle's writes may go past the kernel's page cache
  // (FOPEN_DIRECT_IO). The kernel then neither asks for the file's
  // security.capability before each write (a GETXATTR round trip) nor
  // clears setuid/setgid itself: writes must come through write_as, which
  // does that as the kernel would have.
  virtual bool writes_uncached(FileHandle) { return false; }
  virtual Result<std::size_t> read(FileHandle fh, std::uint64_t offset, MutableByteView out) = 0;
  // read() of up to `size` bytes without the final copy; same errors. The
  // default reads into a buffer of its own.
  virtual Result<ReadPieces> read_pieces(FileHandle fh, std::uint64_t offset, std::size_t size) {
    auto buffer = std::make_shared<Bytes>(size);
    DFS_ASSIGN_OR_RETURN(const std::size_t n, read(fh, offset, *buffer));
    buffer->resize(n);
    ReadPieces read;
    read.add_owned(std::move(buffer));
    return read;
  }
  virtual Result<std::size_t> write(FileHandle fh, std::uint64_t offset, ByteView data) = 0;
  // write() by `caller`: through a handle that writes_uncached, a write by
  // a caller without CAP_FSETID first clears the file's setuid bit, and its
  // setgid bit if group-executable or the caller is not in its group, as
  // the kernel does before a cached write (setattr_should_drop_suidgid).
  virtual Result<std::size_t> write_as(const Caller&, FileHandle fh, std::uint64_t offset, ByteView data) {
    return write(fh, offset, data);
  }
  // fallocate(2): mode 0 and FALLOC_FL_KEEP_SIZE reserve nothing (space is
  // taken at commit) but mode 0 extends the size; FALLOC_FL_PUNCH_HOLE
  // (with KEEP_SIZE) and FALLOC_FL_ZERO_RANGE make the range read as zeros.
  // Other modes: not_supported.
  virtual Status fallocate(FileHandle, int, std::uint64_t, std::uint64_t) {
    return make_error(Errc::not_supported, "fallocate is not supported");
  }
  // lseek(2) SEEK_DATA (hole false) / SEEK_HOLE (hole true): the next
  // offset at or after `offset` in data or in a hole (the end of the file
  // counts as a hole); not_found (ENXIO) at or past the end.
  virtual Result<std::uint64_t> seek_data(FileHandle, std::uint64_t, bool) {
    return make_error(Errc::not_supported, "SEEK_DATA/SEEK_HOLE are not supported");
  }
  virtual Status flush(FileHandle fh) = 0;                 // close(2) of one descriptor
  virtual Status fsync(FileHandle fh, bool datasync) = 0;
  virtual Status release(FileHandle fh) = 0;               // last close
  // Makes every completed operation durable on the local disk, as fsync
  // does for one file (fsyncdir, syncfs): namespace changes and closed files.
  virtual Status sync_all() = 0;

  virtual Result<StatFs> statfs() = 0;

  // user.* extended attributes; "user.dfs.id" is virtual and read-only
  // (setting it to the value it has succeeds and changes nothing).
  virtual Status setxattr(Ino ino, std::string_view name, ByteView value, int flags) = 0;
  virtual Result<Bytes> getxattr(Ino ino, std::string_view name) = 0;
  virtual Result<std::vector<std::string>> listxattr(Ino ino) = 0;
  virtual Status removexattr(Ino ino, std::string_view name) = 0;

  // The File ID of the file's last closed content (user.dfs.id, dfs id);
  // for a directory, the ID of its snapshot (scope shared).
  virtual Result<FileId> file_id(Ino ino) = 0;
  // A snapshot of the tree under directory `dir` (snapshot.hpp). Errors:
  // not_directory, not_found, too_large (deeper than kMaxSnapshotDepth, or
  // an entry the format cannot carry), and the store's.
  virtual Result<DirectorySnapshot> snapshot(Ino, SnapshotScope) {
    return make_error(Errc::not_supported, "this filesystem takes no snapshots");
  }
  // Waits until the chunks of every version closed and every snapshot
  // taken before the call have a copy on another peer, placing again what
  // the background replication left, up to `timeout`: Errc::timed_out if
  // the queue did not drain, Errc::unavailable if some chunks are still on
  // this peer alone (kept to be placed by the next call). A namespace
  // snapshot is published only after this succeeds (issue 15), so the
  // pointer never names chunks that exist on this machine alone. At once
  // without a network.
  virtual Status wait_replicated(std::chrono::milliseconds) { return {}; }
  // Rebuilds this namespace, which must be empty (Errc::already_exists
  // otherwise), from `root`, a snapshot of a root directory taken with
  // SnapshotScope::namespace_backup (dfsmount --recover): every name, type,
  // mode, owner, atime and mtime, xattr, symlink, hard link and device, with
  // the files' versions recorded so that GC and leases keep their chunks.
  // Contents are not fetched (reads fetch them on demand); every directory
  // manifest and every file's manifest is, checked as a shared tree's are,
  // before anything is written; then all of it is one index transaction.
  virtual Result<RestoreSummary> restore(const FileId&) {
    return make_error(Errc::not_supported, "this filesystem cannot be restored from a snapshot");
  }
  // Places the file named by `id` (shared by any peer) at parent/name;
  // reads fetch on demand; writes make a new version with a new ID.
  virtual Result<Attr> open_shared(const Caller& caller, const FileId& id, Ino parent, std::string_view name) = 0;
};

}  // namespace dfs::fs
