// dfs get of a directory ID: the tree recreated below a directory the
// caller opened (Node::get_tree). A directory ID may come from a stranger:
// every snapshot is validated as it is read (names are single components,
// never "." or ".."; store/version_reader.hpp), every entry is created
// relative to its parent's descriptor with O_EXCL / O_NOFOLLOW, and the
// walk is bounded in depth and in entries visited.
//
// Files are fetched on the pool, several at once (a tree is mostly small
// files, each a manifest and a chunk away); a file of more than a few
// chunks goes through Node::get, which pipelines its chunks.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dfs/node/node.hpp"
#include "dfs/store/version_reader.hpp"
#include "dfs/util/log.hpp"

namespace dfs::node {

namespace {

// Chunks in a file that one pool job fetches alone; larger files get a
// pipeline of their own.
constexpr std::uint64_t kChunksPerFileJob = 4;

timespec mtime_of(const DirEntry& e) {
  return timespec{static_cast<time_t>(e.mtime_seconds), static_cast<long>(e.mtime_nanoseconds)};
}

// Mode and mtime on an open file or directory, once its content is in.
Status finish_inode(int fd, const DirEntry& e, const std::string& path) {
  if (::fchmod(fd, e.mode) != 0) return errno_error("cannot set the mode of " + path);
  const timespec times[2] = {{0, UTIME_OMIT}, mtime_of(e)};
  if (::futimens(fd, times) != 0) return errno_error("cannot set the time of " + path);
  return {};
}

}  // namespace

class TreeReader {
 public:
  TreeReader(Node& node, const ProgressFn& progress)
      : node_(node),
        pool_(node.network_ ? *node.fetch_pool_ : node.pool_),
        pipeline_(pool_, node.network_ ? Node::kMinRemoteFetchesInFlight
                                       : node.pool_.size() * Node::kChunksInFlightPerThread),
        progress_(progress) {}

  // Fills the directory open as `dirfd` with the entries of `id`.
  Status fill(const FileId& id, int dirfd, const std::string& path, std::size_t depth) {
    if (depth > store::kMaxTreeDepth) {
      return make_error(Errc::too_large, "the directory ID nests deeper than " + std::to_string(store::kMaxTreeDepth) +
                                             " directories at " + path);
    }
    DFS_ASSIGN_OR_RETURN(Directory directory, store::read_directory(*node_.source_, id));
    visited_ += directory.entries.size();
    if (visited_ > store::kMaxTreeEntries) {
      return make_error(Errc::too_large, "the directory ID holds more than " + std::to_string(store::kMaxTreeEntries) +
                                             " entries (counting each time a subdirectory is named)");
    }
    for (const DirEntry& e : directory.entries) DFS_TRY(make_entry(e, dirfd, path + "/" + e.name, depth));
    return failure_;
  }

  // Waits for the files still being fetched.
  Status finish() {
    pipeline_.drain([this](Result<std::uint64_t> r) { return consume(std::move(r)); });
    return failure_;
  }

  std::uint64_t skipped() const { return skipped_; }

 private:
  Status make_entry(const DirEntry& e, int dirfd, const std::string& path, std::size_t depth) {
    const char* name = e.name.c_str();
    switch (e.type) {
      case EntryType::file: return make_file(e, dirfd, path);
      case EntryType::directory: {
        if (::mkdirat(dirfd, name, 0700) != 0) return errno_error("cannot create directory " + path);
        const int fd = ::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) return errno_error("cannot open directory " + path);
        UniqueFd sub(fd);
        DFS_TRY(fill(*e.id, sub.get(), path, depth + 1));
        // After its entries: they change its mtime, and its mode may forbid them.
        return finish_inode(sub.get(), e, path);
      }
      case EntryType::symlink: {
        if (::symlinkat(e.target.c_str(), dirfd, name) != 0) return errno_error("cannot create symlink " + path);
        const timespec times[2] = {{0, UTIME_OMIT}, mtime_of(e)};
        if (::utimensat(dirfd, name, times, AT_SYMLINK_NOFOLLOW) != 0) return errno_error("cannot set the time of " + path);
        return {};
      }
      case EntryType::fifo: {
        if (::mkfifoat(dirfd, name, 0600) != 0) return errno_error("cannot create FIFO " + path);
        // The mode exactly, not less the umask (no open: that would block).
        if (::fchmodat(dirfd, name, e.mode, 0) != 0) return errno_error("cannot set the mode of " + path);
        const timespec times[2] = {{0, UTIME_OMIT}, mtime_of(e)};
        if (::utimensat(dirfd, name, times, AT_SYMLINK_NOFOLLOW) != 0) return errno_error("cannot set the time of " + path);
        return {};
      }
      default:
        // Sockets and devices are listed, not made: only their type and
        // mode travel, and making devices needs privileges.
        ++skipped_;
        return {};
    }
  }

  Status make_file(const DirEntry& e, int dirfd, const std::string& path) {
    const int raw = ::openat(dirfd, e.name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (raw < 0) return errno_error("cannot create " + path);
    auto fd = std::make_shared<UniqueFd>(raw);
    const FileId id = *e.id;
    if (e.size > kChunksPerFileJob * kMinChunkSize) {
      // Large: its own chunk pipeline, on this thread.
      DFS_TRY(node_.get(id, fd->get(), {}));
      DFS_TRY(finish_inode(fd->get(), e, path));
      consume(e.size);
      return {};
    }
    Node& node = node_;
    const bool more = pipeline_.push(
        [&node, fd, id, e, path]() -> Result<std::uint64_t> {
          DFS_TRY(fetch_small(node, id, fd->get(), path));
          DFS_TRY(finish_inode(fd->get(), e, path));
          return e.size;
        },
        [this](Result<std::uint64_t> r) { return consume(std::move(r)); });
    return more ? Status{} : failure_;
  }

  // A small file in one job: its manifest, then its chunks in turn.
  static Status fetch_small(Node& node, const FileId& id, int fd, const std::string& path) {
    DFS_ASSIGN_OR_RETURN(Manifest manifest, store::read_manifest(*node.source_, id));
    std::uint64_t offset = 0;
    for (std::uint64_t i = 0; i < manifest.chunk_count(); ++i) {
      const std::uint32_t length = manifest.length_of(i);
      if (const ChunkRef* ref = manifest.chunk(i)) {
        DFS_ASSIGN_OR_RETURN(Bytes sealed, node.source_->get(ref->id));
        DFS_ASSIGN_OR_RETURN(Bytes plain, open_data_chunk(*ref, sealed));
        if (::pwrite(fd, plain.data(), plain.size(), static_cast<off_t>(offset)) != static_cast<ssize_t>(plain.size())) {
          return errno_error("cannot write " + path);
        }
      }
      offset += length;
    }
    // Holes stay holes; the size covers a trailing one.
    if (::ftruncate(fd, static_cast<off_t>(manifest.file_size)) != 0) return errno_error("cannot write " + path);
    return {};
  }

  bool consume(Result<std::uint64_t> done) {
    if (!done.ok()) {
      if (failure_.ok()) failure_ = done.take_error();
      return false;
    }
    bytes_ += *done;
    if (progress_) progress_(bytes_, 0);
    return true;
  }

  Node& node_;
  WorkerPool& pool_;
  OrderedPipeline<Result<std::uint64_t>> pipeline_;
  const ProgressFn& progress_;
  Status failure_;
  std::uint64_t bytes_ = 0;
  std::uint64_t visited_ = 0;
  std::uint64_t skipped_ = 0;
};

Status Node::get_tree(const FileId& id, int dirfd, const ProgressFn& progress) {
  // Hostile trees (too deep, too many entries) are refused before anything is made.
  if (auto counted = store::count_tree(*source_, id); !counted.ok()) return counted.take_error();
  TreeReader reader(*this, progress);
  Status filled = reader.fill(id, dirfd, ".", 0);
  Status finished = reader.finish();  // always: no job may outlive the reader
  DFS_TRY(filled);
  DFS_TRY(finished);
  if (reader.skipped() > 0) {
    log::note(std::to_string(reader.skipped()) + " sockets or devices were listed in the tree but not made");
  }
  return {};
}

}  // namespace dfs::node
