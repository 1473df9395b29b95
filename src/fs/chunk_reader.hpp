// ChunkReader: where the filesystem gets chunks from, and the plaintext
// read cache. Sealed chunks come through the chunk chain
// (store/chunk_source.hpp): the local store, then the cache store, then
// the network, a chunk fetched from the network being kept in the cache
// store and a corrupt local copy quarantined and fetched again. Decrypted data chunks are kept in a bounded LRU shared by
// all files; read-ahead fetches and decrypts chunks into it on threads of
// its own (see kReadAheadThreads).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <unordered_set>

#include "dfs/chunk/manifest.hpp"
#include "dfs/fs/open_filesystem.hpp"
#include "dfs/store/chunk_source.hpp"
#include "dfs/util/huge_page_pool.hpp"
#include "lru_cache.hpp"

namespace dfs::fs {

// A decrypted chunk. Not a Bytes: a vector zero-fills the megabyte that
// decryption overwrites at once. A chunk that fills more than half a slot
// of `pool` takes one (util/huge_page_pool.hpp: the FUSE reply pins its
// pages), a smaller one or one without a pool comes from the heap.
class PlainChunk {
 public:
  PlainChunk(std::size_t size, std::shared_ptr<HugePagePool> pool);
  ~PlainChunk();
  PlainChunk(const PlainChunk&) = delete;
  PlainChunk& operator=(const PlainChunk&) = delete;
  const std::uint8_t* data() const { return bytes_; }
  std::size_t size() const { return size_; }
  ByteView view() const { return {bytes_, size_}; }
  MutableByteView writable() { return {bytes_, size_}; }

 private:
  std::shared_ptr<HugePagePool> pool_;  // null: bytes_ is new[]'s
  std::uint8_t* bytes_;
  std::size_t size_;
};

using Plaintext = std::shared_ptr<const PlainChunk>;

class ChunkReader {
 public:
  ChunkReader(const Backend& backend, std::size_t cache_bytes);
  // Waits for the read-aheads still running (they use the stores).
  ~ChunkReader();
  ChunkReader(const ChunkReader&) = delete;
  ChunkReader& operator=(const ChunkReader&) = delete;

  // Sealed bytes of `id`, verified against it.
  Result<Bytes> sealed(const ChunkId& id);
  // Whether the local store or the cache store holds `id` (no network).
  bool held_locally(const ChunkId& id);
  // The decrypted data chunk; Errc::corrupt if it does not hold
  // `plain_size` bytes.
  Result<Plaintext> plaintext(const ChunkId& id, const crypto::SecretKey& key, std::uint32_t plain_size);
  // Starts decrypting `id` into the cache on the pool unless it is cached,
  // already on its way, or too many read-aheads run. Errors are dropped:
  // the read that needs the chunk will meet them.
  void prefetch(const ChunkId& id, const crypto::SecretKey& key, std::uint32_t plain_size);
  // The manifest `head`, opened with `key`. Decoded manifests are kept
  // (a small file's is a chunk file of its own, read and decrypted at each
  // open otherwise).
  Result<Manifest> manifest(const crypto::SecretKey& key, const ChunkId& head);
  // Keeps a manifest that is known to be `head` opened with `key` (that of
  // a file being closed), so that the next open of the file reads none.
  void remember_manifest(const crypto::SecretKey& key, const ChunkId& head, const Manifest& manifest);

 private:
  static constexpr std::size_t kMaxPrefetches = 8;
  // Chunk references (a manifest costs its chunks plus one) in the
  // manifest cache: a few MB at most.
  static constexpr std::size_t kManifestCacheRefs = std::size_t{1} << 16;
  // A read-ahead spends most of its time waiting: for the disk (a chunk
  // file is read around the page cache, so without kernel read-ahead) or
  // for a peer. On the worker pool, sized to the cores, two such waits
  // would leave the cores idle (a 1 GiB read ran at the disk's one-request
  // speed); on threads of its own the waits overlap the decryption.
  static constexpr std::size_t kReadAheadThreads = 4;

  // The cached plaintext of `id`, if any; first waits for a read-ahead
  // already decrypting it, so a sequential reader never decrypts a chunk
  // twice.
  Plaintext cached_or_awaited(const ChunkId& id);
  // Fetches, verifies and decrypts `id`, and keeps it in the LRU.
  Result<Plaintext> load(const ChunkId& id, const crypto::SecretKey& key, std::uint32_t plain_size);
  // Lends the verified sealed bytes of `id` to `use`, from the first
  // source that has them (as sealed() would return them), and returns what
  // `use` returns. Errors of `use` never send it to the next source.
  Status with_sealed(const ChunkId& id, const store::ChunkStore::SealedUse& use);
  void remember(const ChunkId& id, Plaintext data);

  // local store → cache → peers (store/chunk_source.hpp).
  const std::unique_ptr<store::ChunkStore> source_;
  // Slots of a default-size chunk for the plaintexts; shared with them,
  // which may outlive the reader in a reply.
  const std::shared_ptr<HugePagePool> buffers_;

  // A manifest and the key it was opened with: a cached manifest is only
  // handed to a caller holding the same key (a wrong key must still fail).
  struct OpenedManifest {
    crypto::SecretKey key;
    Manifest manifest;
  };

  std::mutex mu_;  // guards plaintexts_, manifests_ and prefetching_
  std::condition_variable prefetch_done_;  // signalled when prefetching_ shrinks
  LruCache<ChunkId, Plaintext> plaintexts_;  // costs in bytes
  LruCache<ChunkId, OpenedManifest> manifests_;  // keyed by head; costs in chunk references
  std::unordered_set<ChunkId> prefetching_;
  // Last: destroyed first, once the destructor has seen prefetching_ empty.
  WorkerPool read_ahead_pool_{kReadAheadThreads};
};

}  // namespace dfs::fs
