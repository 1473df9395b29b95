#include "dfs/chunk/chunker.hpp"

#include "dfs/util/file.hpp"

namespace dfs {

Chunker::Chunker(int fd, std::uint32_t chunk_size, std::string what)
    : fd_(fd), chunk_size_(chunk_size), what_(std::move(what)) {}

Result<bool> Chunker::next(Bytes& out) {
  if (done_) return false;
  out.resize(chunk_size_);
  DFS_ASSIGN_OR_RETURN(std::size_t n, read_full(fd_, out, what_));
  out.resize(n);
  bytes_read_ += n;
  // A short read means end of input (read_full retries short reads).
  if (n < chunk_size_) done_ = true;
  return n > 0;
}

}  // namespace dfs
