// DirStreams: the open directory streams of a FileSystem (opendir, readdir
// in pieces, releasedir). A stream's listing ("." and ".." first) is taken
// at open and again at each rewind (offset 0), so that offsets stay stable
// while a reader takes the listing in pieces, as getdents requires; entries
// added meanwhile show at the next rewind. A FileSystem owns one over
// itself and answers its stream calls with it.
// Thread-safe: one lock guards the streams; a listing is copied out.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "dfs/fs/filesystem.hpp"

namespace dfs::fs {

class DirStreams {
 public:
  explicit DirStreams(FileSystem& fs) : fs_(fs) {}

  Result<FileHandle> open(Ino dir);
  // At most `max` entries of the listing from `offset` (0: listed afresh).
  Result<std::vector<DirEntry>> read(FileHandle dh, Ino dir, std::uint64_t offset, std::size_t max);
  Status release(FileHandle dh);

 private:
  Result<std::vector<DirEntry>> list(Ino dir);

  FileSystem& fs_;
  std::mutex mu_;  // guards streams_ and next_
  std::map<FileHandle, std::vector<DirEntry>> streams_;
  FileHandle next_ = 1;
};

}  // namespace dfs::fs
