#include "dfs/chunk/chunker.hpp"

#include <sys/stat.h>

#include <algorithm>

#include "dfs/util/file.hpp"

namespace dfs {

Chunker::Chunker(int fd, std::uint32_t chunk_size, std::string what)
    : fd_(fd), chunk_size_(chunk_size), what_(std::move(what)) {
  struct stat st{};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) expected_size_ = static_cast<std::uint64_t>(st.st_size);
}

Result<bool> Chunker::next(Bytes& out) {
  if (done_) return false;
  // A buffer for what the file said it holds, plus one byte to see that it
  // ended: a small file costs a small buffer, not a chunk's worth of zeros.
  // If it has grown since, the chunk is filled up all the same.
  std::size_t want = chunk_size_;
  if (expected_size_) {
    const std::uint64_t left = *expected_size_ > bytes_read_ ? *expected_size_ - bytes_read_ : 0;
    want = static_cast<std::size_t>(std::min<std::uint64_t>(chunk_size_, left + 1));
  }
  out.resize(want);
  DFS_ASSIGN_OR_RETURN(std::size_t n, read_full(fd_, out, what_));
  if (n == want && want < chunk_size_) {
    out.resize(chunk_size_);
    DFS_ASSIGN_OR_RETURN(std::size_t more, read_full(fd_, MutableByteView(out).subspan(n), what_));
    n += more;
  }
  out.resize(n);
  bytes_read_ += n;
  // A short read means end of input (read_full retries short reads).
  if (n < chunk_size_) done_ = true;
  return n > 0;
}

}  // namespace dfs
