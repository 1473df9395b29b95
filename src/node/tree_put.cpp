// dfs put -r: a directory tree stored as one item (Node::put_tree). Files
// go through the same write_file as dfs put, directories become snapshots
// through VersionWriter::write_directory, all in one batch, one index
// record and one replication stream, so a tree costs one sync and one
// index transaction however many files it has.
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

std::optional<EntryType> type_of(mode_t mode) {
  switch (mode & S_IFMT) {
    case S_IFREG: return EntryType::file;
    case S_IFDIR: return EntryType::directory;
    case S_IFLNK: return EntryType::symlink;
    case S_IFIFO: return EntryType::fifo;
    case S_IFSOCK: return EntryType::socket;
    case S_IFCHR: return EntryType::char_device;
    case S_IFBLK: return EntryType::block_device;
    default: return std::nullopt;
  }
}

}  // namespace

// Walks a tree depth first, one directory descriptor open per level.
class TreeWriter {
 public:
  TreeWriter(Node& node, const store::VersionWriter& writer, store::PutBatch& batch, std::uint32_t chunk_size,
             std::vector<ChunkId>& stored, const ProgressFn& progress)
      : node_(node), writer_(writer), batch_(batch), chunk_size_(chunk_size), stored_(stored), progress_(progress) {}

  // The snapshot of the directory open as `dirfd`: its ID and its files' total size.
  Result<std::pair<FileId, std::uint64_t>> put_directory(int dirfd, const std::string& path, std::size_t depth) {
    if (depth > store::kMaxTreeDepth) {
      return make_error(Errc::too_large, path + " is nested deeper than " + std::to_string(store::kMaxTreeDepth) +
                                             " directories");
    }
    DFS_ASSIGN_OR_RETURN(std::vector<std::string> names, names_in(dirfd, path));
    Directory directory;
    std::uint64_t total = 0;
    for (const std::string& name : names) {
      DFS_ASSIGN_OR_RETURN(DirEntry entry, put_entry(dirfd, path, name, depth));
      if (entry.type == EntryType::file || entry.type == EntryType::directory) total += entry.size;
      directory.entries.push_back(std::move(entry));
    }
    DFS_ASSIGN_OR_RETURN(store::WrittenManifest written, writer_.write_directory(directory, batch_));
    stored_.insert(stored_.end(), written.segments.begin(), written.segments.end());
    return std::pair{written.id(), total};
  }

 private:
  Result<DirEntry> put_entry(int dirfd, const std::string& dir_path, const std::string& name, std::size_t depth) {
    const std::string path = dir_path + "/" + name;
    struct stat st{};
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return errno_error("cannot stat " + path);
    const std::optional<EntryType> type = type_of(st.st_mode);
    if (!type) return make_error(Errc::not_supported, path + " is of a type a snapshot cannot hold");
    DirEntry entry;
    entry.name = name;
    entry.type = *type;
    entry.mode = st.st_mode & 07777;
    entry.mtime_seconds = st.st_mtim.tv_sec;
    entry.mtime_nanoseconds = static_cast<std::uint32_t>(st.st_mtim.tv_nsec);
    switch (*type) {
      case EntryType::file: DFS_TRY(put_file(dirfd, path, name, st, entry)); break;
      case EntryType::directory: {
        DFS_ASSIGN_OR_RETURN(UniqueFd sub, open_below(dirfd, path, name, O_RDONLY | O_DIRECTORY));
        DFS_ASSIGN_OR_RETURN(auto snapshot, put_directory(sub.get(), path, depth + 1));
        entry.id = snapshot.first;
        entry.size = snapshot.second;
        break;
      }
      case EntryType::symlink: DFS_TRY(read_link(dirfd, path, name, st, entry)); break;
      default: break;  // special files: type and mode only
    }
    return entry;
  }

  static Result<UniqueFd> open_below(int dirfd, const std::string& path, const std::string& name, int flags) {
    // O_NOFOLLOW: the entry was stat'ed as what it is; a swap for a
    // symlink since then fails instead of leading outside the tree.
    const int fd = ::openat(dirfd, name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return errno_error("cannot open " + path);
    return UniqueFd(fd);
  }

  // Hard links become separate entries with the same File ID.
  Status put_file(int dirfd, const std::string& path, const std::string& name, const struct stat& st, DirEntry& entry) {
    const std::pair<dev_t, ino_t> inode{st.st_dev, st.st_ino};
    if (st.st_nlink > 1) {
      if (auto it = links_.find(inode); it != links_.end()) {
        entry.id = it->second.first;
        entry.size = it->second.second;
        return {};
      }
    }
    DFS_ASSIGN_OR_RETURN(UniqueFd fd, open_below(dirfd, path, name, O_RDONLY));
    Manifest manifest;
    manifest.chunk_size = chunk_size_;
    const std::uint64_t before = done_;
    DFS_ASSIGN_OR_RETURN(FileId id, node_.write_file(fd.get(), path, writer_, batch_, manifest, stored_,
                                                     [&](std::uint64_t done, std::uint64_t) {
                                                       if (progress_) progress_(before + done, 0);
                                                     }));
    done_ = before + manifest.file_size;
    entry.id = id;
    entry.size = manifest.file_size;
    if (st.st_nlink > 1) links_.emplace(inode, std::pair{id, manifest.file_size});
    return {};
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
  std::map<std::pair<dev_t, ino_t>, std::pair<FileId, std::uint64_t>> links_;  // files with several links
};

Result<PutOutcome> Node::put_tree(int dirfd, const std::string& name, const PutOptions& options,
                                  const ProgressFn& progress) {
  DFS_ASSIGN_OR_RETURN(const std::uint32_t chunk_size, chunk_size_for(options));
  std::unique_ptr<ReplicationStream> stream = network_ ? network_->start_replication() : nullptr;
  auto body = [&](const store::VersionWriter& writer, store::PutBatch& batch,
                  std::vector<ChunkId>& stored) -> Result<index::FileRecord> {
    TreeWriter tree(*this, writer, batch, chunk_size, stored, progress);
    DFS_ASSIGN_OR_RETURN(auto root, tree.put_directory(dirfd, name, 0));
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
