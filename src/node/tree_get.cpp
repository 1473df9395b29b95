// dfs get of a directory ID: the tree recreated below a directory the
// caller opened (Node::get_tree). A directory ID may come from a stranger:
// every snapshot is validated as it is read (names are single components,
// never "." or ".."; store/version_reader.hpp), every entry is created
// relative to its parent's descriptor with O_EXCL / O_NOFOLLOW, and the
// walk is bounded in depth and in entries visited.
//
// Files are fetched on the pool, several at once (a tree is mostly small
// files, each a manifest and a chunk away); a file of more than a few
// chunks goes through Node::get, which pipelines its chunks. Packed files
// (chunk/directory.hpp) are made first in each directory, in jobs of a few
// files each; the jobs of one pack share one fetch of it. From peers, the
// tree's snapshots are fetched first, a level at a time and all of a level
// at once (prefetch_snapshots), and kept in memory: the walks after read
// them there instead of waiting a round trip for each directory in turn.
#include <fcntl.h>

#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <sys/stat.h>
#include <unistd.h>

#include "dfs/node/node.hpp"
#include "dfs/store/chunk_source.hpp"
#include "dfs/store/memory_chunk_store.hpp"
#include "dfs/store/version_reader.hpp"
#include "dfs/util/log.hpp"

namespace dfs::node {

namespace {

// Chunks in a file that one pool job fetches alone; larger files get a
// pipeline of their own.
constexpr std::uint64_t kChunksPerFileJob = 4;
// Packed files made by one job (each holds a descriptor until written),
// and packs of one directory whose files are gathered at once (a tree
// whose packs alternate, as put -r never writes, costs more jobs, not
// more descriptors).
constexpr std::size_t kFilesPerPackJob = 16;
constexpr std::size_t kPacksGathered = 4;

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

// Snapshots held in memory while a tree is read from peers; past this the
// rest are fetched as the walks reach them (and again by the second).
constexpr std::uint64_t kPrefetchedSnapshotBytes = 64 << 20;

// Fetches the snapshots of the tree below `root` through `source` (which
// keeps them in memory: SnapshotSource), those of one level all at once on
// `pool`. Best effort and bounded like the walks it speeds up: a snapshot
// that cannot be read is left for them to report, and it stops past
// kMaxTreeDepth levels, kMaxTreeEntries entries over the distinct
// snapshots or kPrefetchedSnapshotBytes.
void prefetch_snapshots(store::ChunkStore& source, WorkerPool& pool, std::size_t window, const FileId& root) {
  std::vector<FileId> level{root};
  std::unordered_set<ChunkId> seen{root.manifest};
  std::uint64_t entries = 0;
  auto full = [&] { return source.usage().bytes >= kPrefetchedSnapshotBytes; };
  for (std::size_t depth = 0; !level.empty() && depth <= store::kMaxTreeDepth; ++depth) {
    std::vector<FileId> next;
    OrderedPipeline<Result<Directory>> pipeline(pool, window);
    auto consume = [&](Result<Directory> directory) {
      if (!directory.ok()) return true;
      entries += directory->entries.size();
      for (const DirEntry& e : directory->entries) {
        if (e.type == EntryType::directory && e.id && seen.insert(e.id->manifest).second) next.push_back(*e.id);
      }
      return entries <= store::kMaxTreeEntries && !full();
    };
    for (const FileId& id : level) {
      if (!pipeline.push([&source, id] { return store::read_directory(source, id); }, consume)) break;
    }
    if (!pipeline.drain(consume)) return;
    level = std::move(next);
  }
}

// The tree's snapshots, for the walks of one get: from peers, kept in
// memory as they are fetched (the node's source keeps nothing a get
// fetches, and the tree is walked twice: counted, then made).
class SnapshotSource {
 public:
  SnapshotSource(store::ChunkStore& source, bool remote)
      : kept_(memory_, source, store::FallbackChunkStore::Keep::fetched), remote_(remote), source_(source) {}
  store::ChunkStore& get() { return remote_ ? static_cast<store::ChunkStore&>(kept_) : source_; }

 private:
  // At most kPrefetchedSnapshotBytes in memory; past that a snapshot is
  // simply not kept (fetched again by the second walk), which is the
  // bound working, not a failure to warn about once per snapshot.
  class BoundedMemory final : public store::ChunkStore {
   public:
    Status put(const ChunkId& id, ByteView sealed) override {
      Status kept = memory_.put(id, sealed);
      if (!kept.ok() && kept.error().code == Errc::no_space) return {};
      return kept;
    }
    Result<Bytes> get(const ChunkId& id) override { return memory_.get(id); }
    Result<bool> contains(const ChunkId& id) override { return memory_.contains(id); }
    Status remove(const ChunkId& id) override { return memory_.remove(id); }
    Result<std::vector<ChunkId>> list() override { return memory_.list(); }
    store::Usage usage() const override { return memory_.usage(); }

   private:
    store::MemoryChunkStore memory_{kPrefetchedSnapshotBytes};
  };

  BoundedMemory memory_;
  store::FallbackChunkStore kept_;
  const bool remote_;
  store::ChunkStore& source_;
};

}  // namespace

class TreeReader {
 public:
  TreeReader(Node& node, store::ChunkStore& snapshots, const ProgressFn& progress)
      : node_(node),
        snapshots_(snapshots),
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
    DFS_ASSIGN_OR_RETURN(Directory directory, store::read_directory(snapshots_, id));
    visited_ += directory.entries.size();
    if (visited_ > store::kMaxTreeEntries) {
      return make_error(Errc::too_large, "the directory ID holds more than " + std::to_string(store::kMaxTreeEntries) +
                                             " entries (counting each time a subdirectory is named)");
    }
    Packs packs;
    for (const DirEntry& e : directory.entries) {
      if (e.is_packed()) DFS_TRY(make_packed_file(e, dirfd, path + "/" + e.name, packs));
    }
    DFS_TRY(start_all(packs));
    for (const DirEntry& e : directory.entries) {
      if (!e.is_packed()) DFS_TRY(make_entry(e, dirfd, path + "/" + e.name, depth));
    }
    return failure_;
  }

  // Waits for the files still being fetched.
  Status finish() {
    pipeline_.drain([this](Result<std::uint64_t> r) { return consume(std::move(r)); });
    return failure_;
  }

  std::uint64_t skipped() const { return skipped_; }

 private:
  // One pack of the directory being filled, fetched once by the first of
  // its jobs to run and kept while any of them holds it.
  struct PackLoad {
    explicit PackLoad(PackedRef ref) : ref(std::move(ref)) {}
    const PackedRef ref;
    std::once_flag once;
    std::optional<Result<Bytes>> plain;  // set within `once`
  };
  struct PackedTarget {
    DirEntry entry;
    std::string path;
    UniqueFd fd;
  };
  struct PackGroup {
    std::shared_ptr<PackLoad> load;
    std::vector<PackedTarget> files;
  };
  using Packs = std::unordered_map<ChunkId, PackGroup>;

  // Creates the file now (before its directory gets its mode and time) and
  // gathers it with the other files of its pack.
  Status make_packed_file(const DirEntry& e, int dirfd, const std::string& path, Packs& packs) {
    const int raw = ::openat(dirfd, e.name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (raw < 0) return errno_error("cannot create " + path);
    if (!packs.contains(e.packed->pack) && packs.size() >= kPacksGathered) DFS_TRY(start_all(packs));
    PackGroup& group = packs[e.packed->pack];
    if (!group.load) group.load = std::make_shared<PackLoad>(*e.packed);
    group.files.push_back(PackedTarget{e, path, UniqueFd(raw)});
    if (group.files.size() >= kFilesPerPackJob) return start(group);
    return failure_;
  }

  Status start_all(Packs& packs) {
    for (auto& [id, group] : packs) DFS_TRY(start(group));
    packs.clear();
    return failure_;
  }

  // A job that writes the group's files out of their pack; the group keeps
  // the pack for the next files.
  Status start(PackGroup& group) {
    if (group.files.empty()) return failure_;
    auto job = [&node = node_, load = group.load,
                files = std::make_shared<std::vector<PackedTarget>>(std::move(group.files))]() -> Result<std::uint64_t> {
      std::call_once(load->once, [&] { load->plain = store::read_pack(*node.source_, load->ref); });
      std::uint64_t written = 0;
      for (const PackedTarget& f : *files) {
        if (!(*load->plain).ok()) return in_file(f.path, (*load->plain).error());
        auto bytes = packed_bytes(f.entry, **load->plain);
        if (!bytes.ok()) return in_file(f.path, bytes.error());
        if (::pwrite(f.fd.get(), bytes->data(), bytes->size(), 0) != static_cast<ssize_t>(bytes->size())) {
          return errno_error("cannot write " + f.path);
        }
        DFS_TRY(finish_inode(f.fd.get(), f.entry, f.path));
        written += bytes->size();
      }
      return written;
    };
    group.files.clear();
    const bool more = pipeline_.push(std::move(job), [this](Result<std::uint64_t> r) { return consume(std::move(r)); });
    return more ? Status{} : failure_;
  }

  static Error in_file(const std::string& path, Error error) {
    error.message = path + ": " + error.message;
    return error;
  }

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
  store::ChunkStore& snapshots_;  // where the tree's snapshots are read
  WorkerPool& pool_;
  OrderedPipeline<Result<std::uint64_t>> pipeline_;
  const ProgressFn& progress_;
  Status failure_;
  std::uint64_t bytes_ = 0;
  std::uint64_t visited_ = 0;
  std::uint64_t skipped_ = 0;
};

Status Node::get_path(const FileId& root, const std::string& path, int fd, const ProgressFn& progress) {
  DFS_ASSIGN_OR_RETURN(DirEntry entry, store::resolve_path(*source_, root, path));
  if (entry.type != EntryType::file) {
    return make_error(entry.type == EntryType::directory ? Errc::is_directory : Errc::invalid_argument,
                      path + " is not a file");
  }
  if (entry.id) return get(*entry.id, fd, progress);
  DFS_ASSIGN_OR_RETURN(Bytes bytes, store::read_packed_file(*source_, entry));
  DFS_TRY(write_full(fd, bytes, "output"));
  if (progress) progress(bytes.size(), bytes.size());
  return {};
}

Status Node::get_tree(const FileId& id, int dirfd, const ProgressFn& progress) {
  SnapshotSource snapshots(*source_, network_ != nullptr);
  if (network_) prefetch_snapshots(snapshots.get(), *fetch_pool_, kMinRemoteFetchesInFlight, id);
  // Hostile trees (too deep, too many entries) are refused before anything is made.
  if (auto counted = store::count_tree(snapshots.get(), id); !counted.ok()) return counted.take_error();
  TreeReader reader(*this, snapshots.get(), progress);
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
