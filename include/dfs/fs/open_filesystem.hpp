// open_filesystem: builds the FileSystem (filesystem.hpp) over a peer's
// store, index and worker pool. dfsmount calls it with what its Node owns;
// tests call it with a DiskChunkStore and an Index in a temp directory.
//
// Content (DESIGN.md §2, §5):
//  - A regular file is a manifest of fixed-size chunks (FsOptions::chunk_size
//    for new files; an existing file keeps the chunk size of its manifest).
//  - A file keeps its key across versions: that is what lets an edit reuse
//    the sealed chunks it did not touch (same key, same chunk ID). A new
//    file gets a fresh key; a shared file (open_shared) keeps the sharer's
//    key, so our first edit reuses the sharer's unchanged chunks and only
//    the changed ones and a new manifest are ours. Whoever holds an old ID
//    of a file holds its key, but reads a later version only if also given
//    its manifest ID.
//  - While open, changed chunks live in a write-back area (memory, spilled
//    to an unlinked temp file under FsOptions::scratch_dir past
//    dirty_memory_bytes). A chunk a write fills to its end is sealed and
//    stored on the pool at once (write-behind), so a sequential writer's
//    memory stays a few chunks and sealing overlaps its copying; chunks
//    stored ahead of a commit that never comes are unreferenced and GC
//    reclaims them. flush/fsync/release of a changed file seal the other
//    changed chunks on the pool, store them and the manifest in one batch,
//    then in one index transaction point the inode at the new manifest and
//    record the version's chunk references (index files table, so GC keeps
//    them).
//  - Durability is grouped: the batch and the index commit are written but
//    not synced, so a close costs no disk flush, and the commit notes the
//    version it replaced (index unsynced_versions). Every commit_interval
//    (and on fsync, sync_all, unmount, before GC deletes anything) one
//    store sync then one index sync make everything before them durable and
//    forget the replaced versions. A process crash loses nothing that was
//    closed (it is all in the kernel's page cache). After a power loss,
//    open_filesystem checks each noted version whose note survived: one
//    whose chunks did not all reach the disk is rolled back to the version
//    it replaced, which is still stored. So a crash of either kind leaves
//    every file whole, at a version it had, and at most unreferenced chunks.
//  - An empty file has no manifest until its ID is asked for.
//  - Reads decrypt through a bounded LRU of plaintext chunks, with
//    read-ahead of the next chunks on sequential reads. Chunks come from the
//    store, then the cache store, then the network (a fetched chunk is put
//    in the cache store).
//
// Permissions are not checked here: dfsmount mounts with default_permissions
// and the kernel checks them. Caller only decides the owner of new inodes.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "dfs/fs/filesystem.hpp"
#include "dfs/index/index.hpp"
#include "dfs/replicate/chunk_network.hpp"
#include "dfs/store/chunk_store.hpp"
#include "dfs/store/in_flight.hpp"
#include "dfs/util/worker_pool.hpp"

namespace dfs::fs {

struct FsOptions {
  // Where spill files of the write-back area go (created unlinked, so a
  // crash leaves nothing) and whose filesystem statfs reports when the
  // store has no quota. Must exist.
  std::string scratch_dir;
  std::uint32_t chunk_size = kDefaultChunkSize;
  // Plaintext of dirty chunks held in memory, all files together; past it
  // dirty chunks go to spill files.
  std::size_t dirty_memory_bytes = 64u << 20;
  // Plaintext chunks kept decrypted for reads (LRU), all files together.
  std::size_t read_cache_bytes = 32u << 20;
  // Chunks fetched ahead of a sequential reader (at most ChunkReader's
  // kMaxPrefetches at once, on its kReadAheadThreads threads). 8 rather
  // than 4: a cold 1 GiB `dd` through dfsmount read 1,016-1,424 against
  // 738-1,160 MB/s in the same rounds (more threads were no faster).
  std::uint32_t read_ahead_chunks = 8;
  // With a network: chunks of closed versions whose acknowledgements the
  // filesystem may wait for in the background (those beyond are not waited
  // for; the repair loop places any that fail), and how long unmount keeps
  // waiting for what is queued before leaving it to the network and repair.
  std::size_t replication_queue_chunks = 1u << 16;
  std::chrono::milliseconds replication_drain_bound{std::chrono::seconds(10)};
  // How long a completed close may wait to become durable against power
  // loss (see above); 0 makes every close durable before it returns (other
  // namespace changes then wait a second at most).
  std::chrono::milliseconds commit_interval{std::chrono::seconds(1)};
  // Entries a shared tree placed by `dfs open <dirID>` or .dfs/ids may have
  // in all, counted as placed (snapshot.hpp); tests lower it.
  std::uint64_t max_shared_tree_entries = kMaxSharedTreeEntries;
};

// What the filesystem works on; none is owned, all must outlive it.
struct Backend {
  store::ChunkStore* store = nullptr;  // durable local store (required)
  store::ChunkStore* cache = nullptr;  // chunks fetched from peers (optional)
  index::Index* index = nullptr;       // the namespace (required)
  WorkerPool* pool = nullptr;          // sealing, decryption, read-ahead (required)
  // Fetches what the stores lack; fsync asks it for R copies and waits,
  // close queues the new chunks for it in the background. Optional.
  replicate::ChunkNetwork* network = nullptr;
  // Where commits hold their chunks from GC until the index names them
  // (Node::in_flight()). Optional: without GC running, nothing needs it.
  store::InFlightChunks* in_flight = nullptr;
};

// Opens the filesystem, with the mount's .dfs/ids directory
// (id_directory.hpp) on top: rolls back the commits a power loss left without
// their chunks, removes the inodes a crash left unlinked-but-open (nlink 0)
// and releases their versions.
Result<std::unique_ptr<FileSystem>> open_filesystem(const Backend& backend, const FsOptions& options);

}  // namespace dfs::fs
