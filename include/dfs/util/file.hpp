// RAII file descriptors and the few POSIX file helpers every layer needs,
// each returning a Result with the path and strerror in its message.
#pragma once

#include <string>

#include "dfs/util/bytes.hpp"

namespace dfs {

// Owns a file descriptor; closes it on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

Result<UniqueFd> open_file(const std::string& path, int flags, int mode = 0644);

// Reads until `buf` is full or end of file; returns the bytes read.
// Retries on EINTR and short reads (pipes, terminals).
Result<std::size_t> read_full(int fd, MutableByteView buf, const std::string& what);
Result<std::size_t> pread_full(int fd, MutableByteView buf, std::uint64_t offset, const std::string& what);

// Writes all of `data`, retrying on EINTR and short writes.
Status write_full(int fd, ByteView data, const std::string& what);
// The same at `offset` (pwrite: the fd's offset does not move).
Status pwrite_full(int fd, ByteView data, std::uint64_t offset, const std::string& what);

Status fsync_fd(int fd, const std::string& what);
// fsync of a directory, so a rename or create inside it is durable.
Status fsync_dir(const std::string& dir);

// mkdir -p with the given mode for created directories.
Status make_dirs(const std::string& path, int mode = 0700);

}  // namespace dfs
