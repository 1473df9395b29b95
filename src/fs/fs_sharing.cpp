// FsImpl: sharing. A file's ID (which names its committed version), a
// directory's snapshot, and placing a file someone shared, by its ID, in
// this namespace.
#include <sys/stat.h>

#include <algorithm>
#include <thread>

#include "dfs/store/in_flight.hpp"

#include "dfs/util/log.hpp"
#include "fs_impl.hpp"

namespace dfs::fs {

Result<DirectorySnapshot> FsImpl::snapshot(Ino dir, SnapshotScope scope) { return snapshot_reusing(dir, scope, nullptr); }

Result<DirectorySnapshot> FsImpl::snapshot_reusing(Ino dir, SnapshotScope scope, const StoredDirectories* reuse) {
  DFS_ASSIGN_OR_RETURN(index::InodeAttr inode, backend_.index->get_inode(dir));
  if (!S_ISDIR(inode.mode)) return make_error(Errc::not_directory, "inode " + std::to_string(dir) + " is not a directory");
  // GC keeps off the new segments until the index names them.
  store::InFlightChunks::Hold hold = backend_.in_flight ? backend_.in_flight->hold() : store::InFlightChunks::Hold();
  VersionStream stream(backend_.network);
  const store::VersionWriter writer(stream.sink());
  auto write = [&](const Directory& directory) -> Result<store::WrittenManifest> {
    if (reuse != nullptr) {
      if (auto stored = reuse->find(directory_fingerprint(directory)); stored != reuse->end()) return stored->second;
    }
    auto batch = store::InFlightChunks::tracked(backend_.store->begin_batch(), hold);
    DFS_ASSIGN_OR_RETURN(store::WrittenManifest written, writer.write_directory(directory, *batch));
    DFS_TRY(batch->commit_unsynced());
    return written;
  };
  auto built = snapshots_.build(dir, scope, write, [this] { return backend_.store->sync(); });
  VersionStream::Taken taken = stream.take();
  if (replication_ && taken.stream) replication_->push(std::move(taken));
  if (!built.ok()) log::warn("fs: snapshot of inode " + std::to_string(dir) + " failed: " + built.error().to_string());
  return built;
}

Status FsImpl::wait_replicated(std::chrono::milliseconds timeout) {
  if (!replication_) return {};
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (!replication_->wait_for_queued(timeout)) {
    return make_error(Errc::timed_out, "the network has not acknowledged every chunk closed so far after " +
                                           std::to_string(timeout.count() / 1000) + " s");
  }
  // What the background streams did not place (a full queue, a stalled
  // stream, peers that refused): placed now, blocking, again while each
  // round places some and time is left. What is still unplaced then is
  // kept for the next snapshot, and this one is not published.
  std::vector<ChunkId> unplaced = replication_->take_unplaced();
  auto pause = std::chrono::milliseconds(500);
  while (!unplaced.empty()) {
    const std::size_t before = unplaced.size();
    const replicate::ReplicationSummary placed = backend_.network->replicate(unplaced);
    unplaced = placed.unplaced;
    if (unplaced.empty()) return {};
    if (unplaced.size() == before || std::chrono::steady_clock::now() + pause >= deadline) break;
    std::this_thread::sleep_for(pause);  // peers that answered busy get a moment
    pause = std::min(pause * 2, std::chrono::milliseconds(8000));
  }
  if (unplaced.empty()) return {};
  replication_->keep_unplaced(unplaced);
  return make_error(Errc::unavailable, std::to_string(unplaced.size()) +
                                           " chunks have no copy on another peer yet (the peers refused or did "
                                           "not answer)");
}

Result<FileId> FsImpl::file_id(Ino ino) {
  DFS_ASSIGN_OR_RETURN(index::InodeAttr inode, backend_.index->get_inode(ino));
  if (S_ISDIR(inode.mode)) {
    DFS_ASSIGN_OR_RETURN(DirectorySnapshot snap, snapshot(ino, SnapshotScope::shared));
    return snap.id;
  }
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
  if (id.is_directory()) return open_shared_tree(caller, id, parent, name);
  auto manifest = reader_.manifest(id.key, id.manifest);
  if (!manifest.ok()) {
    log::warn("fs: cannot open shared file " + id.manifest.short_hex() + ": " + manifest.error().to_string());
    return manifest.take_error();
  }
  return place_shared_file(caller, id, *manifest, parent, name, 0666 & ~caller.umask, std::nullopt);
}

}  // namespace dfs::fs
