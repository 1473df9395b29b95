// DirStreams: listings per open directory, taken afresh at each rewind.
#include "dfs/fs/dir_streams.hpp"

#include <sys/stat.h>

#include <algorithm>

namespace dfs::fs {

namespace {

Error no_stream(FileHandle dh) {
  return make_error(Errc::invalid_argument, "no open directory stream " + std::to_string(dh));
}

}  // namespace

Result<std::vector<DirEntry>> DirStreams::list(Ino dir) {
  std::vector<DirEntry> out{{".", dir, S_IFDIR}, {"..", dir, S_IFDIR}};
  DFS_ASSIGN_OR_RETURN(auto entries, fs_.readdir(dir));
  out.insert(out.end(), std::make_move_iterator(entries.begin()), std::make_move_iterator(entries.end()));
  return out;
}

Result<FileHandle> DirStreams::open(Ino dir) {
  DFS_ASSIGN_OR_RETURN(auto listing, list(dir));
  std::lock_guard lock(mu_);
  const FileHandle dh = next_++;
  streams_.emplace(dh, std::move(listing));
  return dh;
}

Result<std::vector<DirEntry>> DirStreams::read(FileHandle dh, Ino dir, std::uint64_t offset, std::size_t max) {
  std::vector<DirEntry> fresh;
  if (offset == 0) {  // a rewind sees the directory as it is now
    DFS_ASSIGN_OR_RETURN(fresh, list(dir));
  }
  std::lock_guard lock(mu_);
  auto it = streams_.find(dh);
  if (it == streams_.end()) return no_stream(dh);
  if (offset == 0) it->second = std::move(fresh);
  const std::vector<DirEntry>& listing = it->second;
  if (offset >= listing.size()) return std::vector<DirEntry>{};
  const auto first = listing.begin() + static_cast<std::ptrdiff_t>(offset);
  const auto last = first + static_cast<std::ptrdiff_t>(std::min<std::uint64_t>(max, listing.size() - offset));
  return std::vector<DirEntry>(first, last);
}

Status DirStreams::release(FileHandle dh) {
  std::lock_guard lock(mu_);
  if (streams_.erase(dh) == 0) return no_stream(dh);
  return {};
}

}  // namespace dfs::fs
