// FsImpl: grouped durability (open_filesystem.hpp, README "Durability").
// A commit writes its chunks and its index transaction without syncing;
// make_durable syncs the store, then the index, which also settles the
// notes of the versions the commits replaced. The flusher does that every
// commit_interval; recovery at open undoes the commits a power loss left
// without their chunks.
#include <algorithm>

#include "dfs/chunk/manifest.hpp"
#include "dfs/util/log.hpp"
#include "fs_impl.hpp"

namespace dfs::fs {

Status FsImpl::make_durable() {
  return backend_.index->make_durable([this] { return backend_.store->sync(); });
}

void FsImpl::start_flusher() {
  flusher_ = std::thread([this] { run_flusher(); });
}

void FsImpl::run_flusher() {
  std::unique_lock lock(flusher_mu_);
  while (!flusher_stop_) {
    // With no interval every content commit syncs itself; namespace changes
    // (mkdir, rename...) still wait for a round, a second at most.
    const auto interval = options_.commit_interval.count() > 0 ? options_.commit_interval : std::chrono::seconds(1);
    flusher_wake_.wait_for(lock, interval, [this] { return flusher_stop_; });
    if (flusher_stop_ || !backend_.index->has_unsynced_changes()) continue;
    lock.unlock();
    Status synced = make_durable();
    // Nothing is lost yet (the commits stay in the page cache and their
    // notes in the index); the next round or unmount tries again.
    if (!synced.ok()) log::warn("fs: making recent commits durable failed: " + synced.error().to_string());
    lock.lock();
  }
}

void FsImpl::stop_flusher() {
  {
    std::lock_guard lock(flusher_mu_);
    flusher_stop_ = true;
  }
  flusher_wake_.notify_all();
  if (flusher_.joinable()) flusher_.join();
}

bool FsImpl::stored_whole(const ChunkId& head, const index::FileKey& key) {
  // store->get verifies each chunk's hash, so a chunk the power loss left
  // torn counts as missing (and is moved to quarantine).
  auto fetch = [this](const ChunkId& id) { return backend_.store->get(id); };
  Result<Manifest> manifest = load_manifest(crypto::SecretKey::from_bytes(key), head, fetch);
  if (!manifest.ok()) return false;
  const std::vector<ChunkId> ids = manifest->stored_ids();
  return std::all_of(ids.begin(), ids.end(), [&](const ChunkId& id) { return fetch(id).ok(); });
}

Status FsImpl::recover_unsynced_versions() {
  DFS_ASSIGN_OR_RETURN(std::vector<index::UnsyncedVersion> notes, backend_.index->unsynced_versions());
  // Newest first: a file committed twice since the last sync may need to go
  // back two versions, each checked in turn.
  for (auto note = notes.rbegin(); note != notes.rend(); ++note) {
    auto inode = backend_.index->get_inode(note->ino);
    if (!inode.ok() || inode->manifest != note->manifest) continue;  // gone, or moved on since
    if (stored_whole(note->manifest, *inode->file_key)) continue;
    DFS_ASSIGN_OR_RETURN(index::NamespaceTxn txn, backend_.index->begin_namespace());
    DFS_ASSIGN_OR_RETURN(index::InodeAttr current, txn.get_inode(note->ino));
    current.manifest = note->previous_manifest;
    current.file_key = note->previous_key;
    current.size = note->previous_size;
    current.stored_bytes.reset();  // not recorded: counted as the size
    current.mtime_ns = note->previous_mtime_ns;
    DFS_TRY(txn.update_inode(current));
    DFS_TRY(txn.commit());
    log::warn("fs: inode " + std::to_string(note->ino) + " lost the chunks of its last version " +
              note->manifest.short_hex() + " (a crash before they reached the disk); it is back at the version before");
  }
  if (!notes.empty()) log::info("fs: checked " + std::to_string(notes.size()) + " file versions written shortly before a crash");
  return make_durable();
}

}  // namespace dfs::fs
