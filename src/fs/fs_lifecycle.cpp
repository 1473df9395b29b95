// FsImpl: opening (open_filesystem: recovery, orphans, the flusher),
// closing (what the adapter left open is committed and made durable) and
// statfs.
#include <sys/statvfs.h>

#include <climits>

#include "dfs/fs/id_directory.hpp"
#include "dfs/util/log.hpp"
#include "fs_impl.hpp"

namespace dfs::fs {

FsImpl::FsImpl(const Backend& backend, const FsOptions& options)
    : backend_(backend),
      options_(options),
      budget_(options.dirty_memory_bytes),
      reader_(backend, options.read_cache_bytes),
      snapshots_(*backend.index, [this](Ino ino) { return file_id(ino); }) {
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

Result<StatFs> FsImpl::statfs() {
  StatFs out;
  struct statvfs disk {};
  if (::statvfs(options_.scratch_dir.c_str(), &disk) != 0) return errno_error("statfs of " + options_.scratch_dir);
  const std::uint64_t disk_total = std::uint64_t{disk.f_blocks} * disk.f_frsize;
  const std::uint64_t disk_free = std::uint64_t{disk.f_bavail} * disk.f_frsize;
  const store::Usage usage = backend_.store->usage();
  // Without a quota: what dfs stores plus what the disk has free, so that
  // df's Used is what dfs stores, not everything else on that disk.
  std::uint64_t capacity = std::min(disk_total, usage.bytes + disk_free);
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
  return std::unique_ptr<FileSystem>(std::make_unique<IdDirectory>(std::move(fs)));
}

}  // namespace dfs::fs
