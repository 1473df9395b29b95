#include "dfs/util/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace dfs {

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Result<UniqueFd> open_file(const std::string& path, int flags, int mode) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) return errno_error("cannot open " + path);
  return UniqueFd(fd);
}

namespace {

// Fills `buf` from `read_at(pointer, count, done)` until it is full or the
// input ends; retries EINTR. One loop serves read(2) and pread(2).
template <typename ReadAt>
Result<std::size_t> fill(MutableByteView buf, const std::string& what, ReadAt read_at) {
  std::size_t done = 0;
  while (done < buf.size()) {
    const ssize_t n = read_at(buf.data() + done, buf.size() - done, done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("cannot read " + what);
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return done;
}

}  // namespace

Result<std::size_t> read_full(int fd, MutableByteView buf, const std::string& what) {
  return fill(buf, what, [fd](std::uint8_t* at, std::size_t count, std::size_t) { return ::read(fd, at, count); });
}

Result<std::size_t> pread_full(int fd, MutableByteView buf, std::uint64_t offset, const std::string& what) {
  return fill(buf, what, [fd, offset](std::uint8_t* at, std::size_t count, std::size_t done) {
    return ::pread(fd, at, count, static_cast<off_t>(offset + done));
  });
}

namespace {

// Writes all of `data` through write_some(at, count, done), retrying on
// EINTR and short writes.
template <typename WriteSome>
Status write_all(ByteView data, const std::string& what, WriteSome write_some) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write_some(data.data() + done, data.size() - done, done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("cannot write " + what);
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

}  // namespace

Status write_full(int fd, ByteView data, const std::string& what) {
  return write_all(data, what, [fd](const std::uint8_t* at, std::size_t count, std::size_t) {
    return ::write(fd, at, count);
  });
}

Status pwrite_full(int fd, ByteView data, std::uint64_t offset, const std::string& what) {
  return write_all(data, what, [fd, offset](const std::uint8_t* at, std::size_t count, std::size_t done) {
    return ::pwrite(fd, at, count, static_cast<off_t>(offset + done));
  });
}

Status fsync_fd(int fd, const std::string& what) {
  if (::fsync(fd) != 0) return errno_error("cannot fsync " + what);
  return {};
}

Status fsync_dir(const std::string& dir) {
  DFS_ASSIGN_OR_RETURN(UniqueFd fd, open_file(dir, O_RDONLY | O_DIRECTORY));
  return fsync_fd(fd.get(), dir);
}

Status make_dirs(const std::string& path, int mode) {
  if (path.empty()) return {};
  std::string prefix;
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    prefix = path.substr(0, pos);
    if (prefix.empty()) continue;
    if (::mkdir(prefix.c_str(), static_cast<mode_t>(mode)) != 0 && errno != EEXIST) {
      return errno_error("cannot create directory " + prefix);
    }
  }
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return errno_error("cannot stat " + path);
  if (!S_ISDIR(st.st_mode)) return make_error(Errc::invalid_argument, path + " is not a directory");
  return {};
}

}  // namespace dfs
