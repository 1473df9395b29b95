// FsImpl: extended attributes, file IDs, open_shared, statfs, and the
// factory.
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>

#include <climits>

#include "dfs/util/log.hpp"
#include "fs_impl.hpp"

namespace dfs::fs {

namespace {

constexpr std::string_view kUserPrefix = "user.";
constexpr std::string_view kIdAttr = "user.dfs.id";
constexpr std::size_t kMaxXattrValue = 64 * 1024;  // XATTR_SIZE_MAX

Status check_xattr_name(std::string_view name) {
  if (name.size() > XATTR_NAME_MAX) return make_error(Errc::name_too_long, "extended attribute name too long");
  if (name.substr(0, kUserPrefix.size()) != kUserPrefix || name.size() == kUserPrefix.size()) {
    return make_error(Errc::not_supported, "only user.* extended attributes are supported, not " + std::string(name));
  }
  return {};
}

Error no_attribute(Ino ino, std::string_view name) {
  return make_error(Errc::not_found, "inode " + std::to_string(ino) + " has no attribute " + std::string(name));
}

// user.* attributes exist on files and directories only (as on Linux).
Status check_xattr_target(const index::InodeAttr& inode) {
  if (S_ISREG(inode.mode) || S_ISDIR(inode.mode)) return {};
  return make_error(Errc::permission_denied, "user.* attributes are only for files and directories");
}

}  // namespace

FsImpl::FsImpl(const Backend& backend, const FsOptions& options)
    : backend_(backend),
      options_(options),
      budget_(options.dirty_memory_bytes),
      reader_(backend, options.read_cache_bytes) {
  if (backend_.network) {
    replication_ = std::make_unique<ReplicationQueue>(options_.replication_queue_chunks,
                                                      options_.replication_drain_bound);
  }
}

FsImpl::~FsImpl() {
  // Handles the adapter did not release (an unmount without release):
  // commit what they hold, as a release would.
  std::vector<FileHandle> open;
  {
    std::lock_guard lock(mu_);
    for (const auto& [fh, handle] : handles_) open.push_back(fh);
  }
  for (FileHandle fh : open) {
    Status released = release(fh);
    if (!released.ok()) log::error("fs: at unmount, file handle " + std::to_string(fh) + ": " + released.error().to_string());
  }
  stop_flusher();
  Status synced = make_durable();
  if (!synced.ok()) log::error("fs: at unmount, making the last commits durable: " + synced.error().to_string());
}

Status FsImpl::setxattr(Ino ino, std::string_view name, ByteView value, int flags) {
  DFS_TRY(check_xattr_name(name));
  if (name == kIdAttr) return make_error(Errc::permission_denied, std::string(kIdAttr) + " is read-only");
  if (value.size() > kMaxXattrValue) return make_error(Errc::too_large, "extended attribute value too large");
  index::XattrMode mode = index::XattrMode::create_or_replace;
  if (flags & XATTR_CREATE) mode = index::XattrMode::create_only;
  if (flags & XATTR_REPLACE) mode = index::XattrMode::replace_only;
  DFS_ASSIGN_OR_RETURN(index::NamespaceTxn txn, backend_.index->begin_namespace());
  DFS_ASSIGN_OR_RETURN(index::InodeAttr inode, txn.get_inode(ino));
  DFS_TRY(check_xattr_target(inode));
  DFS_TRY(txn.set_xattr(ino, std::string(name), value, mode));
  inode.ctime_ns = now_ns();
  DFS_TRY(txn.update_inode(inode));
  return txn.commit();
}

Result<Bytes> FsImpl::getxattr(Ino ino, std::string_view name) {
  DFS_TRY(check_xattr_name(name));
  if (name == kIdAttr) {
    DFS_ASSIGN_OR_RETURN(index::InodeAttr inode, backend_.index->get_inode(ino));
    if (!S_ISREG(inode.mode)) return no_attribute(ino, name);
    DFS_ASSIGN_OR_RETURN(FileId id, file_id(ino));
    const std::string text = id.to_string();
    return Bytes(text.begin(), text.end());
  }
  DFS_ASSIGN_OR_RETURN(index::NamespaceTxn txn, backend_.index->begin_namespace());
  DFS_TRY(txn.get_inode(ino));
  DFS_ASSIGN_OR_RETURN(auto value, txn.get_xattr(ino, std::string(name)));
  if (!value) return no_attribute(ino, name);
  return std::move(*value);
}

Result<std::vector<std::string>> FsImpl::listxattr(Ino ino) {
  DFS_ASSIGN_OR_RETURN(index::NamespaceTxn txn, backend_.index->begin_namespace());
  DFS_ASSIGN_OR_RETURN(index::InodeAttr inode, txn.get_inode(ino));
  DFS_ASSIGN_OR_RETURN(std::vector<std::string> names, txn.list_xattrs(ino));
  if (S_ISREG(inode.mode)) names.insert(names.begin(), std::string(kIdAttr));
  return names;
}

Status FsImpl::removexattr(Ino ino, std::string_view name) {
  DFS_TRY(check_xattr_name(name));
  if (name == kIdAttr) return make_error(Errc::permission_denied, std::string(kIdAttr) + " is read-only");
  DFS_ASSIGN_OR_RETURN(index::NamespaceTxn txn, backend_.index->begin_namespace());
  DFS_ASSIGN_OR_RETURN(index::InodeAttr inode, txn.get_inode(ino));
  DFS_ASSIGN_OR_RETURN(bool removed, txn.remove_xattr(ino, std::string(name)));
  if (!removed) return no_attribute(ino, name);
  inode.ctime_ns = now_ns();
  DFS_TRY(txn.update_inode(inode));
  return txn.commit();
}

Result<FileId> FsImpl::file_id(Ino ino) {
  DFS_ASSIGN_OR_RETURN(index::InodeAttr inode, backend_.index->get_inode(ino));
  if (S_ISDIR(inode.mode)) return make_error(Errc::is_directory, "a directory has no file ID (yet)");
  if (!S_ISREG(inode.mode)) return make_error(Errc::invalid_argument, "only a regular file has a file ID");
  if (!inode.manifest) {
    // Never committed (an empty file): store an empty version now.
    DFS_ASSIGN_OR_RETURN(auto state, acquire_state(ino));
    Status committed;
    {
      std::lock_guard lock(state->mu);
      if (!state->content.committed()) {
        state->content.mark_changed();
        committed = commit_locked(*state);
      }
    }
    release_state(ino);
    DFS_TRY(std::move(committed));
    DFS_ASSIGN_OR_RETURN(inode, backend_.index->get_inode(ino));
    if (!inode.manifest) return make_error(Errc::not_found, "inode " + std::to_string(ino) + " was unlinked");
  }
  return FileId{*inode.manifest, crypto::SecretKey::from_bytes(*inode.file_key)};
}

Result<Attr> FsImpl::open_shared(const Caller& caller, const FileId& id, Ino parent, std::string_view name) {
  DFS_TRY(check_name(name));
  auto manifest = reader_.manifest(id.key, id.manifest);
  if (!manifest.ok()) {
    log::warn("fs: cannot open shared file " + id.manifest.short_hex() + ": " + manifest.error().to_string());
    return manifest.take_error();
  }
  index::InodeAttr inode;
  inode.mode = S_IFREG | (0666 & ~caller.umask);
  inode.nlink = 1;
  inode.size = manifest->file_size;
  inode.manifest = id.manifest;
  inode.file_key = id.key.bytes();
  DFS_ASSIGN_OR_RETURN(Attr attr, make_node(caller, parent, name, std::move(inode)));
  std::vector<ChunkId> referenced{id.manifest};
  for (const ChunkRef& ref : manifest->chunks) referenced.push_back(ref.id);
  index::FileRecord record{id.manifest, id.key.bytes(), std::string(name), manifest->file_size,
                           manifest->chunk_size, manifest->chunks.size(), attr.ctime.sec};
  DFS_ASSIGN_OR_RETURN(index::NamespaceTxn txn, backend_.index->begin_namespace());
  DFS_TRY(txn.record_version(record, referenced));
  DFS_TRY(txn.commit());
  return attr;
}

Result<StatFs> FsImpl::statfs() {
  StatFs out;
  struct statvfs disk {};
  if (::statvfs(options_.scratch_dir.c_str(), &disk) != 0) return errno_error("statfs of " + options_.scratch_dir);
  const std::uint64_t disk_total = std::uint64_t{disk.f_blocks} * disk.f_frsize;
  const std::uint64_t disk_free = std::uint64_t{disk.f_bavail} * disk.f_frsize;
  const store::Usage usage = backend_.store->usage();
  std::uint64_t capacity = disk_total;
  std::uint64_t free = disk_free;
  if (usage.quota_bytes > 0) {
    capacity = usage.quota_bytes;
    free = std::min(disk_free, usage.quota_bytes > usage.bytes ? usage.quota_bytes - usage.bytes : 0);
  }
  out.blocks = capacity / out.block_size;
  out.blocks_free = free / out.block_size;
  DFS_ASSIGN_OR_RETURN(index::NamespaceTxn txn, backend_.index->begin_namespace());
  DFS_ASSIGN_OR_RETURN(std::uint64_t inodes, txn.inode_count());
  // Every file needs at least a chunk: free blocks bound the new files.
  out.files_free = out.blocks_free;
  out.files = inodes + out.files_free;
  out.name_max = NAME_MAX;
  return out;
}

Result<std::unique_ptr<FileSystem>> open_filesystem(const Backend& backend, const FsOptions& options) {
  if (!backend.store || !backend.index || !backend.pool) {
    return make_error(Errc::invalid_argument, "a filesystem needs a store, an index and a worker pool");
  }
  if (options.chunk_size < kMinChunkSize || options.chunk_size > kMaxChunkSize) {
    return make_error(Errc::invalid_argument, "chunk size " + std::to_string(options.chunk_size) + " out of range");
  }
  auto fs = std::make_unique<FsImpl>(backend, options);
  DFS_TRY(fs->recover_unsynced_versions());
  DFS_TRY(fs->reap_orphans());
  fs->start_flusher();
  return std::unique_ptr<FileSystem>(std::move(fs));
}

}  // namespace dfs::fs
