// Streaming fixed-size chunker: cuts a byte stream (a file, a pipe, stdin)
// into chunk_size pieces, holding one piece at a time, never the file.
#pragma once

#include <optional>
#include <string>

#include "dfs/chunk/sealed_chunk.hpp"

namespace dfs {

class Chunker {
 public:
  // Reads from `fd` (not owned); `what` names the source in errors.
  Chunker(int fd, std::uint32_t chunk_size, std::string what);

  // Fills `out` with the next chunk (resized to its length, which is
  // chunk_size except for the last). Returns false at end of input; an
  // empty input yields no chunk at all.
  Result<bool> next(Bytes& out);

  std::uint64_t bytes_read() const { return bytes_read_; }
  std::uint32_t chunk_size() const { return chunk_size_; }

 private:
  int fd_;
  std::uint32_t chunk_size_;
  std::string what_;
  std::uint64_t bytes_read_ = 0;
  bool done_ = false;
  std::optional<std::uint64_t> expected_size_;  // a regular file's size when opened
};

}  // namespace dfs
