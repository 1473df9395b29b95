#include "dfs/util/result.hpp"

#include <cerrno>
#include <cstring>

namespace dfs {

const char* errc_name(Errc code) {
  switch (code) {
    case Errc::invalid_argument: return "invalid argument";
    case Errc::not_found: return "not found";
    case Errc::already_exists: return "already exists";
    case Errc::truncated: return "truncated";
    case Errc::too_large: return "too large";
    case Errc::bad_version: return "unsupported version";
    case Errc::corrupt: return "corrupt";
    case Errc::io_error: return "I/O error";
    case Errc::no_space: return "no space";
    case Errc::permission_denied: return "permission denied";
    case Errc::unavailable: return "unavailable";
    case Errc::timed_out: return "timed out";
    case Errc::busy: return "busy";
    case Errc::not_empty: return "directory not empty";
    case Errc::is_directory: return "is a directory";
    case Errc::not_directory: return "not a directory";
    case Errc::name_too_long: return "name too long";
    case Errc::read_only: return "read-only";
    case Errc::not_supported: return "not supported";
    case Errc::cross_device: return "cross-device";
    case Errc::too_many_links: return "too many links";
    case Errc::internal: return "internal error";
  }
  return "unknown error";
}

std::string Error::to_string() const {
  return std::string(errc_name(code)) + ": " + message;
}

static Errc errc_from_errno(int err) {
  switch (err) {
    case ENOENT: return Errc::not_found;
    case EEXIST: return Errc::already_exists;
    case ENOSPC:
    case EDQUOT: return Errc::no_space;
    case EACCES:
    case EPERM: return Errc::permission_denied;
    case EINVAL: return Errc::invalid_argument;
    case ETIMEDOUT: return Errc::timed_out;
    case ENOTEMPTY: return Errc::not_empty;
    case EISDIR: return Errc::is_directory;
    case ENOTDIR: return Errc::not_directory;
    case ENAMETOOLONG: return Errc::name_too_long;
    case EROFS: return Errc::read_only;
    case EOPNOTSUPP: return Errc::not_supported;
    case EXDEV: return Errc::cross_device;
    case EMLINK:
    case ELOOP: return Errc::too_many_links;
    default: return Errc::io_error;
  }
}

Error errno_error(const std::string& what, int err) {
  return Error{errc_from_errno(err), what + ": " + std::strerror(err)};
}

Error errno_error(const std::string& what) { return errno_error(what, errno); }

}  // namespace dfs
