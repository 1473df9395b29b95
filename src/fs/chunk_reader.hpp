// ChunkReader: where the filesystem gets chunks from, and the plaintext
// read cache. Sealed chunks come from the local store, then the cache
// store, then the network (a chunk fetched from the network is kept in the
// cache store). Decrypted data chunks are kept in a bounded LRU shared by
// all files; read-ahead fetches and decrypts chunks into it on threads of
// its own (see kReadAheadThreads).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "dfs/chunk/manifest.hpp"
#include "dfs/fs/open_filesystem.hpp"

namespace dfs::fs {

// A decrypted chunk. Not a Bytes: a vector zero-fills the megabyte that
// decryption overwrites at once.
class PlainChunk {
 public:
  explicit PlainChunk(std::size_t size) : bytes_(std::make_unique_for_overwrite<std::uint8_t[]>(size)), size_(size) {}
  const std::uint8_t* data() const { return bytes_.get(); }
  std::size_t size() const { return size_; }
  ByteView view() const { return {bytes_.get(), size_}; }
  MutableByteView writable() { return {bytes_.get(), size_}; }

 private:
  std::unique_ptr<std::uint8_t[]> bytes_;
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
  Result<Manifest> manifest(const crypto::SecretKey& key, const ChunkId& head);

 private:
  static constexpr std::size_t kMaxPrefetches = 8;
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

  const Backend backend_;
  const std::size_t cache_bytes_;

  std::mutex mu_;  // guards lru_, where_, cached_bytes_ and prefetching_
  std::condition_variable prefetch_done_;  // signalled when prefetching_ shrinks
  std::list<std::pair<ChunkId, Plaintext>> lru_;  // most recently used first
  std::unordered_map<ChunkId, std::list<std::pair<ChunkId, Plaintext>>::iterator> where_;
  std::size_t cached_bytes_ = 0;
  std::unordered_set<ChunkId> prefetching_;
  // Last: destroyed first, once the destructor has seen prefetching_ empty.
  WorkerPool read_ahead_pool_{kReadAheadThreads};
};

}  // namespace dfs::fs
