// dfs put -r: a directory tree stored as one item (Node::put_tree). A
// directory's small files are packed (chunk/directory.hpp: their bytes end
// to end in pack chunks of that directory alone, each written by
// VersionWriter::write_chunk like any data chunk); other files go through
// the same write_file as dfs put (small ones many at once); directories
// become snapshots through VersionWriter::write_directory. All in one
// batch, one index record (which lists every chunk, packs included, so rm,
// GC and leases treat them as the tree's) and one replication stream, so a
// tree costs one sync and one index transaction however many files it has.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include "dfs/node/node.hpp"
#include "dfs/store/version_reader.hpp"
#include "dfs/util/log.hpp"

namespace dfs::node {

namespace {

Result<std::vector<std::string>> names_in(int dirfd, const std::string& path) {
  // fdopendir owns the descriptor it is given: a duplicate, so `dirfd`
  // stays ours; rewind, as the duplicate shares its offset.
  const int dup = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return errno_error("cannot read directory " + path);
  DIR* dir = ::fdopendir(dup);
  if (dir == nullptr) {
    Error e = errno_error("cannot read directory " + path);
    ::close(dup);
    return e;
  }
  ::rewinddir(dir);
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* d = ::readdir(dir)) {
    const std::string_view name = d->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
    errno = 0;
  }
  const int err = errno;
  ::closedir(dir);
  if (err != 0) return errno_error("cannot read directory " + path, err);
  // Byte order, as a snapshot requires (std::string compares as unsigned).
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

// Walks a tree depth first, one directory descriptor open per level, in
// two passes. The walk lists every directory, reads its small files into
// the directory's pack (sealed on the pool as each fills, and when the
// directory's files are done, before its subdirectories are walked: one
// pack open at a time), and starts each other file of one chunk at most
// as a job of its own on the pool, many in flight at once. Large files are
// sealed on the pool chunk by chunk as the walk meets them. Once every
// file has its ID or its place in a pack, the directories are sealed
// bottom up.
class TreeWriter {
 public:
  TreeWriter(Node& node, const store::VersionWriter& writer, store::PutBatch& batch, std::uint32_t chunk_size,
             std::vector<ChunkId>& stored, const ProgressFn& progress)
      : node_(node),
        writer_(writer),
        batch_(batch),
        chunk_size_(chunk_size),
        stored_(stored),
        progress_(progress),
        small_files_(node.pool_, node.pool_.size() * kSmallFilesInFlightPerThread),
        scratch_(std::make_unique_for_overwrite<std::uint8_t[]>(kPackFilesBelow)) {}

  // The snapshot of the directory open as `dirfd`: its ID and its files' total size.
  Result<std::pair<FileId, std::uint64_t>> put(int dirfd, const std::string& path) {
    Pending root;
    Status walked = walk(dirfd, path, 0, root);
    // Every job must finish before we return (they reference the batch),
    // and each one's chunks must reach `stored_` so a failure removes them.
    const bool all_written = small_files_.drain([this](Written done) { return settle(std::move(done)); });
    DFS_TRY(walked);
    if (!all_written) return Status(failure_).take_error();
    for (const auto& [copy, original] : links_again_) {
      copy.dir->entries[copy.index].id = original.dir->entries[original.index].id;
      copy.dir->entries[copy.index].size = original.dir->entries[original.index].size;
    }
    return seal(root);
  }

 private:
  // Small files in flight per worker: enough that the pool never waits on
  // the walk, which opens and stats each file.
  static constexpr std::size_t kSmallFilesInFlightPerThread = 8;

  // A directory as the walk found it; entries get their IDs once written.
  struct Pending {
    Directory directory;
    std::vector<std::pair<std::size_t, std::unique_ptr<Pending>>> subdirectories;  // entry index, contents
    std::optional<std::pair<FileId, std::uint64_t>> sealed;  // its ID and its files' total size, once sealed
  };
  // One entry of a Pending (whose address is stable: each is owned by a unique_ptr).
  struct Slot {
    Directory* dir;
    std::size_t index;
  };
  // A file's place in the pack being filled.
  struct PackedFile {
    Slot slot;
    std::uint32_t offset = 0;
    std::uint32_t length = 0;
  };
  // The pack of one directory being filled by the walk.
  struct Pack {
    Bytes bytes;
    std::vector<PackedFile> files;
  };
  // What a pool job wrote: a small file (slot, id, size), a pack (pack,
  // files) or a directory's snapshot (in its Pending).
  struct Written {
    Status status;
    bool directory = false;
    std::vector<ChunkId> stored;
    Slot slot{};
    std::optional<FileId> id;
    std::uint64_t size = 0;
    std::optional<ChunkRef> pack;
    std::vector<PackedFile> files;
  };

  Status walk(int dirfd, const std::string& path, std::size_t depth, Pending& pending) {
    if (depth > store::kMaxTreeDepth) {
      return make_error(Errc::too_large, path + " is nested deeper than " + std::to_string(store::kMaxTreeDepth) +
                                             " directories");
    }
    DFS_ASSIGN_OR_RETURN(std::vector<std::string> names, names_in(dirfd, path));
    pending.directory.entries.reserve(names.size());
    Pack pack;
    std::vector<std::size_t> subdirectories;  // entry indexes, walked once the files are in
    for (const std::string& name : names) {
      if (!failure_.ok()) return failure_;
      DFS_TRY(put_entry(dirfd, path, name, pending, pack, subdirectories));
    }
    if (!inline_pack(pack, names.size())) DFS_TRY(seal_pack(pack));
    for (const std::size_t index : subdirectories) {
      const std::string& name = pending.directory.entries[index].name;
      DFS_ASSIGN_OR_RETURN(UniqueFd sub, open_below(dirfd, path + "/" + name, name, O_RDONLY | O_DIRECTORY));
      auto contents = std::make_unique<Pending>();
      DFS_TRY(walk(sub.get(), path + "/" + name, depth + 1, *contents));
      pending.subdirectories.emplace_back(index, std::move(contents));
    }
    return {};
  }

  // Seals `root` and its subdirectories, deepest first, on the pool: the
  // directories of one height (the levels below their deepest descendant)
  // name none of each other, so all of them are sealed at once, after the
  // lower heights that hold their subdirectories. (One by one, the 2,013
  // directories of /usr/include took a quarter of the put.)
  Result<std::pair<FileId, std::uint64_t>> seal(Pending& root) {
    std::vector<std::vector<Pending*>> heights;
    by_height(root, heights);
    auto settled = [this](Written done) { return settle(std::move(done)); };
    for (const std::vector<Pending*>& level : heights) {
      for (Pending* pending : level) {
        if (!small_files_.push([this, pending] { return seal_one(*pending); }, settled)) break;
      }
      if (!small_files_.drain(settled)) return Status(failure_).take_error();
    }
    return *root.sealed;
  }

  // Files `pending` and its subdirectories under their heights; returns its own.
  static std::size_t by_height(Pending& pending, std::vector<std::vector<Pending*>>& heights) {
    std::size_t height = 0;
    for (auto& [index, sub] : pending.subdirectories) height = std::max(height, by_height(*sub, heights) + 1);
    if (heights.size() <= height) heights.resize(height + 1);
    heights[height].push_back(&pending);
    return height;
  }

  // A pool job: seals one directory whose subdirectories are sealed.
  Written seal_one(Pending& pending) {
    for (auto& [index, sub] : pending.subdirectories) {
      pending.directory.entries[index].id = sub->sealed->first;
      pending.directory.entries[index].size = sub->sealed->second;
      sub.reset();  // its entries are in its manifest now
    }
    std::uint64_t total = 0;
    for (const DirEntry& entry : pending.directory.entries) {
      if (entry.type == EntryType::file || entry.type == EntryType::directory) total += entry.size;
    }
    Written done;
    done.directory = true;
    Result<store::WrittenManifest> written = writer_.write_directory(pending.directory, batch_);
    if (!written.ok()) {
      done.status = written.take_error();
      return done;
    }
    done.stored = written->segments;
    pending.sealed = std::pair{written->id(), total};
    return done;
  }

  Status put_entry(int dirfd, const std::string& dir_path, const std::string& name, Pending& pending, Pack& pack,
                   std::vector<std::size_t>& subdirectories) {
    const std::string path = dir_path + "/" + name;
    struct stat st{};
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return errno_error("cannot stat " + path);
    const std::optional<EntryType> type = entry_type_of_mode(st.st_mode);
    if (!type) return make_error(Errc::not_supported, path + " is of a type a snapshot cannot hold");
    DirEntry& entry = pending.directory.entries.emplace_back();
    const Slot slot{&pending.directory, pending.directory.entries.size() - 1};
    entry.name = name;
    entry.type = *type;
    entry.mode = st.st_mode & 07777;
    entry.mtime_seconds = st.st_mtim.tv_sec;
    entry.mtime_nanoseconds = static_cast<std::uint32_t>(st.st_mtim.tv_nsec);
    switch (*type) {
      case EntryType::file: return put_file(dirfd, path, name, st, slot, pack);
      case EntryType::directory: subdirectories.push_back(slot.index); return {};
      case EntryType::symlink: return read_link(dirfd, path, name, st, entry);
      default: return {};  // special files: type and mode only
    }
  }

  static Result<UniqueFd> open_below(int dirfd, const std::string& path, const std::string& name, int flags) {
    // O_NOFOLLOW: the entry was stat'ed as what it is; a swap for a
    // symlink since then fails instead of leading outside the tree.
    const int fd = ::openat(dirfd, name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return errno_error("cannot open " + path);
    return UniqueFd(fd);
  }

  // Hard links become separate entries with the same File ID.
  Status put_file(int dirfd, const std::string& path, const std::string& name, const struct stat& st, Slot slot,
                  Pack& pack) {
    if (st.st_nlink > 1) {
      const auto [first, inserted] = links_.try_emplace(std::pair{st.st_dev, st.st_ino}, slot);
      if (!inserted) {
        links_again_.emplace_back(slot, first->second);
        return {};
      }
    }
    DFS_ASSIGN_OR_RETURN(UniqueFd fd, open_below(dirfd, path, name, O_RDONLY));
    // Hard links keep a File ID that all their entries share (a pack may
    // not: they may be in other directories).
    if (st.st_nlink == 1 && st.st_size > 0 && static_cast<std::uint64_t>(st.st_size) < kPackFilesBelow) {
      DFS_ASSIGN_OR_RETURN(bool packed, add_to_pack(fd.get(), path, slot, pack));
      if (packed) return {};
      // It grew or emptied since the stat: stored on its own, from the start.
      if (::lseek(fd.get(), 0, SEEK_SET) != 0) return errno_error("cannot read " + path);
    }
    if (static_cast<std::uint64_t>(st.st_size) <= chunk_size_) {
      auto job = [this, slot, path, fd = std::make_shared<UniqueFd>(std::move(fd))] {
        Manifest manifest;
        manifest.chunk_size = chunk_size_;
        Written done;
        done.slot = slot;
        Result<FileId> id = node_.write_file(fd->get(), path, writer_, batch_, manifest, done.stored, {},
                                             Node::Sealing::on_this_thread);
        if (id.ok()) {
          done.id = std::move(id).value();
          done.size = manifest.file_size;
        } else {
          done.status = id.take_error();
        }
        return done;
      };
      small_files_.push(std::move(job), [this](Written done) { return settle(std::move(done)); });
      return failure_;
    }
    Manifest manifest;
    manifest.chunk_size = chunk_size_;
    const std::uint64_t before = done_;
    DFS_ASSIGN_OR_RETURN(FileId id, node_.write_file(fd.get(), path, writer_, batch_, manifest, stored_,
                                                     [&](std::uint64_t done, std::uint64_t) {
                                                       if (progress_) progress_(before + done, 0);
                                                     }));
    record(slot, id, manifest.file_size);
    return {};
  }

  // Reads the whole file into the pack (first sealing the pack if it would
  // overflow). False if the file turns out empty or not small after all.
  Result<bool> add_to_pack(int fd, const std::string& path, Slot slot, Pack& pack) {
    std::size_t got = 0;
    while (got < kPackFilesBelow) {
      const ssize_t n = ::read(fd, scratch_.get() + got, kPackFilesBelow - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return errno_error("cannot read " + path);
      if (n == 0) break;
      got += static_cast<std::size_t>(n);
    }
    if (got == 0 || got == kPackFilesBelow) return false;
    if (pack.bytes.size() + got > kMaxPackBytes) DFS_TRY(seal_pack(pack));
    if (pack.bytes.capacity() == 0) pack.bytes.reserve(kMaxPackBytes);
    const auto offset = static_cast<std::uint32_t>(pack.bytes.size());
    pack.bytes.insert(pack.bytes.end(), scratch_.get(), scratch_.get() + got);
    pack.files.push_back(PackedFile{slot, offset, static_cast<std::uint32_t>(got)});
    return true;
  }

  // A directory's last pack, if small, goes into the head of its snapshot
  // (directory format 5) rather than into a chunk of its own: a chunk
  // fewer to store and to send to R peers, for most directories of a
  // source tree. False (and `pack` untouched) if it does not qualify.
  bool inline_pack(Pack& pack, std::size_t entries) {
    if (pack.files.empty() || pack.bytes.size() >= kInlinePackBelow || entries > kMaxInlinePackEntries) return false;
    auto bytes = std::make_shared<const Bytes>(std::move(pack.bytes));
    for (const PackedFile& f : pack.files) {
      DirEntry& entry = f.slot.dir->entries[f.slot.index];
      entry.packed = PackedRef{{}, crypto::SecretKey::from_bytes({}), f.offset, bytes};
      entry.size = f.length;
      done_ += f.length;
    }
    pack = Pack{};
    if (progress_) progress_(done_, 0);
    return true;
  }

  // Seals and stores the pack on the pool; its files get their places
  // when it settles. Leaves `pack` empty.
  Status seal_pack(Pack& pack) {
    if (pack.files.empty()) return {};
    auto job = [this, bytes = std::move(pack.bytes), files = std::move(pack.files)]() mutable {
      Written done;
      Result<ChunkRef> ref = writer_.write_chunk(bytes, batch_);
      if (ref.ok()) {
        done.stored.push_back(ref->id);
        done.pack = std::move(ref).value();
        done.files = std::move(files);
      } else {
        done.status = ref.take_error();
      }
      return done;
    };
    pack = Pack{};
    small_files_.push(std::move(job), [this](Written done) { return settle(std::move(done)); });
    return failure_;
  }

  // A job finished (in the order the walk started them).
  bool settle(Written done) {
    stored_.insert(stored_.end(), done.stored.begin(), done.stored.end());
    if (!done.status.ok()) {
      if (failure_.ok()) failure_ = std::move(done.status);
      return false;
    }
    if (done.directory) return true;
    if (done.pack) {
      for (const PackedFile& f : done.files) {
        DirEntry& entry = f.slot.dir->entries[f.slot.index];
        entry.packed = PackedRef{done.pack->id, done.pack->key, f.offset, nullptr};
        entry.size = f.length;
        done_ += f.length;
      }
      if (progress_) progress_(done_, 0);
      return true;
    }
    record(done.slot, *done.id, done.size);
    return true;
  }

  void record(Slot slot, const FileId& id, std::uint64_t size) {
    slot.dir->entries[slot.index].id = id;
    slot.dir->entries[slot.index].size = size;
    done_ += size;
    if (progress_) progress_(done_, 0);
  }

  static Status read_link(int dirfd, const std::string& path, const std::string& name, const struct stat& st,
                          DirEntry& entry) {
    std::string target(kMaxSymlinkTargetLength + 1, '\0');
    const ssize_t n = ::readlinkat(dirfd, name.c_str(), target.data(), target.size());
    if (n < 0) return errno_error("cannot read the symlink " + path);
    if (n == 0 || static_cast<std::size_t>(n) > kMaxSymlinkTargetLength) {
      return make_error(Errc::too_large, "the symlink " + path + " has a target of " + std::to_string(st.st_size) +
                                             " bytes (at most " + std::to_string(kMaxSymlinkTargetLength) + ")");
    }
    target.resize(static_cast<std::size_t>(n));
    entry.size = target.size();
    entry.target = std::move(target);
    return {};
  }

  Node& node_;
  const store::VersionWriter& writer_;
  store::PutBatch& batch_;
  const std::uint32_t chunk_size_;
  std::vector<ChunkId>& stored_;
  const ProgressFn& progress_;
  std::uint64_t done_ = 0;  // bytes of files stored so far
  Status failure_;          // the first small file that could not be written
  OrderedPipeline<Written> small_files_;  // small files and packs
  std::unique_ptr<std::uint8_t[]> scratch_;  // a small file read whole, kPackFilesBelow bytes
  std::map<std::pair<dev_t, ino_t>, Slot> links_;   // the first entry of each file with several links
  std::vector<std::pair<Slot, Slot>> links_again_;  // later entries of those, and the first one
};

Result<PutOutcome> Node::put_tree(int dirfd, const std::string& name, const PutOptions& options,
                                  const ProgressFn& progress) {
  DFS_ASSIGN_OR_RETURN(const std::uint32_t chunk_size, chunk_size_for(options));
  std::unique_ptr<ReplicationStream> stream = network_ ? network_->start_replication() : nullptr;
  auto body = [&](const store::VersionWriter& writer, store::PutBatch& batch,
                  std::vector<ChunkId>& stored) -> Result<index::FileRecord> {
    TreeWriter tree(*this, writer, batch, chunk_size, stored, progress);
    DFS_ASSIGN_OR_RETURN(auto root, tree.put(dirfd, name));
    index::FileRecord record{root.first.manifest, root.first.key.bytes(), name, root.second, chunk_size, stored.size()};
    record.is_directory = true;
    return record;
  };
  Result<FileId> id = put_locally(body, stream.get());
  if (!id.ok()) return id.take_error();
  return replicate(std::move(id).value(), stream.get());
}

Result<Directory> Node::list_directory(const FileId& id) { return store::read_directory(*source_, id); }

Result<DirEntry> Node::lookup(const FileId& root, const std::string& path) {
  return store::resolve_path(*source_, root, path);
}

Status Node::remove(const FileId& id) {
  DFS_ASSIGN_OR_RETURN(std::optional<index::FileRecord> record, index_->find_file(id.manifest));
  if (!record || record->key != id.key.bytes() || record->is_directory != id.is_directory()) {
    return make_error(Errc::not_found, "this peer keeps nothing put with that ID (dfs ls lists what it keeps)");
  }
  if (record->from_mount) {
    return make_error(Errc::invalid_argument, "that is a version of a file on the mount: remove the file there");
  }
  return index_->forget_put(id.manifest);
}

}  // namespace dfs::node
