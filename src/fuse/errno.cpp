// errno_of: the one place where fs errors become errno (fs/filesystem.hpp
// lists the mapping; Op covers the calls where POSIX picks another errno).
#include <cerrno>

#include "dfs/fuse/mount.hpp"

namespace dfs::fuse {

int errno_of(const Error& error, Op op) {
  switch (error.code) {
    case Errc::not_found: return op == Op::xattr ? ENODATA : op == Op::seek ? ENXIO : ENOENT;
    case Errc::already_exists: return EEXIST;
    case Errc::not_empty: return ENOTEMPTY;
    case Errc::is_directory: return op == Op::link ? EPERM : EISDIR;  // link(2) of a directory
    case Errc::not_directory: return ENOTDIR;
    case Errc::name_too_long: return ENAMETOOLONG;
    case Errc::invalid_argument: return EINVAL;
    // chmod/chown/utimes by a non-owner, link(2) and xattr refusals
    // (user.dfs.id, user.* on a special file) are EPERM.
    case Errc::permission_denied:
      return op == Op::setattr || op == Op::link || op == Op::xattr ? EPERM : EACCES;
    case Errc::read_only: return EROFS;
    case Errc::no_space: return ENOSPC;
    case Errc::not_supported: return EOPNOTSUPP;
    case Errc::cross_device: return EXDEV;
    case Errc::too_many_links: return EMLINK;
    case Errc::too_large: return op == Op::xattr ? E2BIG : op == Op::xattr_buffer ? ERANGE : EFBIG;
    case Errc::truncated:
    case Errc::bad_version:
    case Errc::corrupt:
    case Errc::io_error:
    case Errc::unavailable:
    case Errc::timed_out:
    case Errc::busy:
    case Errc::internal: return EIO;
  }
  return EIO;
}

}  // namespace dfs::fuse
