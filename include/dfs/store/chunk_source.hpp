// The one chain every reader of chunks goes through: the local store, else
// the cache of chunks held for this peer's own files, else the peers
// (DESIGN.md §5 "Reads fetch missing chunks from peers..."). Each link is a
// ChunkStore decorator (chunk_store.hpp), so fs/'s ChunkReader, the Node's
// `dfs get` and the Replicator read through the same code with the same
// two rules:
//
//  - A corrupt copy is quarantined, then fetched: the store that finds a
//    copy corrupt moves it aside itself (the ChunkStore contract), and the
//    chain then asks the next link as if the copy were missing. Only when
//    no later link has the chunk is the corruption what the caller sees.
//    A copy lent unhashed (with_sealed: unchanged since the store checked
//    it) that the reader cannot authenticate is hashed then, and so
//    quarantined and fetched the same way.
//  - What comes from a later link is kept in the earlier one only where
//    that link is a cache (FallbackChunkStore::Keep::fetched): chunks
//    fetched from peers go into cache/, unsynced (a copy lost to a power
//    cut is fetched again; a torn one fails its hash and is quarantined).
//    Whether the chain has a cache that keeps is the caller's single
//    choice (ChunkChain::keep_fetched).
#pragma once

#include <functional>
#include <memory>

#include "dfs/store/chunk_store.hpp"

namespace dfs::store {

// Reads from `first`, else from `next`; everything else (put, batches,
// remove, list, usage, sync) acts on `first` alone. A get that `first`
// answers with not_found or corrupt goes on to `next`. contains() asks
// both. Thread-safe as its two stores are.
class FallbackChunkStore final : public ChunkStore {
 public:
  enum class Keep {
    nothing,  // `first` is a store of its own (the local store)
    fetched,  // `first` is a cache: what `next` serves is put into it
  };
  FallbackChunkStore(ChunkStore& first, ChunkStore& next, Keep keep);
  // The same, owning `next` (the rest of a chain).
  FallbackChunkStore(ChunkStore& first, std::unique_ptr<ChunkStore> next, Keep keep);

  Status put(const ChunkId& id, ByteView sealed) override { return first_.put(id, sealed); }
  Result<Bytes> get(const ChunkId& id) override;
  Status with_sealed(const ChunkId& id, const SealedUse& use) override;
  Result<bool> contains(const ChunkId& id) override;
  Status remove(const ChunkId& id) override { return first_.remove(id); }
  Result<std::vector<ChunkId>> list() override { return first_.list(); }
  void prefetch(const ChunkId& id) override { first_.prefetch(id); }
  std::unique_ptr<PutBatch> begin_batch() override { return first_.begin_batch(); }
  Status sync() override { return first_.sync(); }
  Usage usage() const override { return first_.usage(); }

 private:
  // The answer of `next` to a get that `first` answered with `missed`.
  Result<Bytes> from_next(const ChunkId& id, const Error& missed);
  // After `use` failed on what `first` lent: OK if `first`'s copy matches
  // its ID, else get()'s error (the copy is quarantined).
  Status check_after_failed_use(const ChunkId& id);
  void log_unusable(const ChunkId& id, const Error& missed);
  void keep(const ChunkId& id, ByteView sealed);

  ChunkStore& first_;
  std::unique_ptr<ChunkStore> owned_next_;  // may be null
  ChunkStore& next_;
  const Keep keep_;
};

// Chunks held by other peers, as a read-only ChunkStore at the end of a
// chain: get() is `fetch` (which must verify what it returns against the
// ID, as ChunkNetwork::fetch does); contains() is false, as this peer does
// not hold them; put and remove fail with not_supported; list is empty.
class RemoteChunks final : public ChunkStore {
 public:
  using Fetch = std::function<Result<Bytes>(const ChunkId& id)>;
  explicit RemoteChunks(Fetch fetch) : fetch_(std::move(fetch)) {}

  Status put(const ChunkId& id, ByteView) override;
  Result<Bytes> get(const ChunkId& id) override { return fetch_(id); }
  Result<bool> contains(const ChunkId&) override { return false; }
  Status remove(const ChunkId& id) override;
  Result<std::vector<ChunkId>> list() override { return std::vector<ChunkId>{}; }
  Usage usage() const override { return {}; }

 private:
  Fetch fetch_;
};

// How a chain is put together: the local store (required), the cache
// (optional) and the peers (optional: a lone peer has none).
struct ChunkChain {
  ChunkStore* local = nullptr;
  ChunkStore* cache = nullptr;
  RemoteChunks::Fetch fetch;  // empty: no peers
  // Whether chunks fetched from peers are kept in the cache (the mount,
  // which reads them again; `dfs get` writes them out and does not).
  bool keep_fetched = true;
};

// local → cache → peers, as a ChunkStore whose writes go to `local`.
std::unique_ptr<ChunkStore> make_chunk_source(const ChunkChain& chain);

}  // namespace dfs::store
