// ChunkStore: a content-addressed store of sealed chunks (DESIGN.md §2-3).
//
// A chunk is stored under its ID, the SHA-256 of its sealed bytes, so the
// store can check every chunk it accepts or serves without holding a key.
// This header is the interface; MemoryChunkStore (tests of upper layers) and
// DiskChunkStore (a peer's local storage) implement it, and features that
// wrap a store (cache, remote, ...) are decorators over it (STYLE.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "dfs/chunk/sealed_chunk.hpp"
#include "dfs/util/bytes.hpp"
#include "dfs/util/result.hpp"

namespace dfs::store {

// The largest sealed chunk a store accepts or serves: a 16 MiB chunk plus
// room for the sealing overhead (version, nonce, tag). A file on disk that
// is larger cannot be a chunk we wrote, so it is never read into memory.
using dfs::kMaxSealedChunkSize;

struct Usage {
  std::uint64_t bytes = 0;        // sum of the sizes of stored chunks
  std::uint64_t chunks = 0;       // number of stored chunks
  std::uint64_t quota_bytes = 0;  // 0 = unlimited
};

// A group of puts made durable together, for a writer of many chunks at
// once (the chunks of a file): one sync for the group instead of one per
// chunk, which is what makes a put of a large file run at disk speed.
// put() may be called from several threads. Once commit() returns, every
// chunk put through the batch is stored and durable exactly as if each had
// been put alone; before that, any of them may or may not be visible.
// Destroying a batch without commit() discards what it had not committed.
class PutBatch {
 public:
  virtual ~PutBatch() = default;
  virtual Status put(const ChunkId& id, ByteView sealed) = 0;
  // For bytes already hashed against `id` by the caller (a chunk this
  // process just sealed, or one a receiver checked as it came off the
  // network): hashing them again would only cost time (a quarter of a
  // put's CPU). Never for bytes nobody checked.
  virtual Status put_verified(const ChunkId& id, ByteView sealed) { return put(id, sealed); }
  // seal_chunk computed `chunk.id` from these very bytes.
  Status put_sealed(const SealedChunk& chunk) { return put_verified(chunk.id, chunk.bytes); }
  virtual Status commit() = 0;
  // Makes every chunk put through the batch stored and visible without
  // waiting for the disk: they survive the process dying, and a power loss
  // only once ChunkStore::sync() has run (a chunk the loss caught half on
  // disk fails verification on get). For a writer that makes a group of
  // commits durable later, in one sync (the filesystem's close).
  virtual Status commit_unsynced() { return commit(); }
};

// All methods are thread-safe: a store is called concurrently from the
// worker pool. Errors are values (util/result.hpp); no method throws.
class ChunkStore {
 public:
  virtual ~ChunkStore() = default;

  // Stores `sealed` under `id`.
  // - Errc::corrupt if `sealed` does not hash to `id` (nothing is written).
  // - Errc::too_large if `sealed` is larger than kMaxSealedChunkSize.
  // - Idempotent: storing a chunk that is already present succeeds and
  //   changes nothing, even when the quota is full.
  // - Errc::no_space when the quota (or the disk) would be exceeded; nothing
  //   half-written is left behind and usage is unchanged.
  virtual Status put(const ChunkId& id, ByteView sealed) = 0;

  // Returns the stored bytes, verified against `id`.
  // - Errc::not_found if absent.
  // - Errc::corrupt if the stored bytes do not hash to `id`: the chunk is
  //   moved aside (never served again, and from then on not_found), a
  //   warning is logged, and its size leaves the usage.
  virtual Result<Bytes> get(const ChunkId& id) = 0;
  // get() for a peer that asked for the chunk (GET_CHUNK). A store may
  // skip hashing the bytes again when it can tell, without reading them,
  // that they are the ones it checked before: the peer verifies whatever
  // it receives (DESIGN.md §2), so this saves the holder a hash per serve.
  // get() always hashes.
  virtual Result<Bytes> get_for_peer(const ChunkId& id) { return get(id); }

  // What a reader that only decrypts does with a chunk: get() without the
  // copy. `use` is lent the sealed bytes for the length of the call (they
  // may sit in the store's own read buffer) and its status is returned.
  // Same errors as get(), which `use` never sees. The default calls get().
  //
  // `use` must authenticate what it is lent (AES-GCM with the chunk's key
  // does) and fail when that fails: like get_for_peer, a store may lend
  // bytes without hashing them again when it can tell they are the ones it
  // wrote or checked before. A chain (FallbackChunkStore) then checks a
  // copy `use` failed on with get(), which quarantines it if it does not
  // match its ID, and asks its next link.
  using SealedUse = std::function<Status(ByteView sealed)>;
  virtual Status with_sealed(const ChunkId& id, const SealedUse& use);

  // Whether `id` is stored. Does not verify the bytes (get does).
  virtual Result<bool> contains(const ChunkId& id) = 0;

  // Deletes the chunk. Errc::not_found if absent.
  virtual Status remove(const ChunkId& id) = 0;

  // Every stored chunk, in no particular order (for repair and GC). Chunks
  // put or removed while the listing runs may or may not appear.
  virtual Result<std::vector<ChunkId>> list() = 0;

  // A hint that `id` will be read soon: a disk store starts reading it in
  // the background so that the get overlaps with other work. No-op by
  // default; never fails.
  virtual void prefetch(const ChunkId& id) { (void)id; }

  // A batch of puts (see PutBatch). The default batch puts each chunk at
  // once and commits nothing further; stores with a cheaper group sync
  // override it.
  virtual std::unique_ptr<PutBatch> begin_batch();

  // Makes every chunk stored so far durable, those of unsynced batch
  // commits included. A no-op for stores that are always durable or never.
  virtual Status sync() { return {}; }

  // Current usage; stored chunks only (space reserved by puts still in
  // flight is not included).
  virtual Usage usage() const = 0;
};

// The checks every put makes before it stores anything: Errc::too_large
// above kMaxSealedChunkSize, Errc::corrupt if `sealed` does not hash to `id`.
// Hashes `sealed` once (SHA-256), so call it outside any lock.
Status check_sealed(const ChunkId& id, ByteView sealed);

}  // namespace dfs::store
