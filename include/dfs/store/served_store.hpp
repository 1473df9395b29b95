// ServedStore: the chunks a peer serves to others, seen as one store — its
// own (DATA/store/: chunks of this node's files that placement gives it)
// and those it holds for other peers (DATA/held/: what strangers put here,
// under their own budget, --storage-for-others), so that a stranger can
// never fill the space the owner's --quota counts (issue 10).
//
// Reads (get, contains, list) see both; puts, batches and repair's moves go
// to `own`: the chunk service puts into `held` directly (ChunkServer).
// A chunk may sit in both (a stranger put it, then the owner wrote the same
// bytes): reads take `own`'s copy first, remove() removes both.
//
// Thread-safe as its two stores are; holds no state of its own.
#pragma once

#include "dfs/store/chunk_store.hpp"

namespace dfs::store {

class ServedStore final : public ChunkStore {
 public:
  // Neither owned; both must outlive this.
  ServedStore(ChunkStore& own, ChunkStore& held) : own_(own), held_(held) {}

  Status put(const ChunkId& id, ByteView sealed) override { return own_.put(id, sealed); }
  Result<Bytes> get(const ChunkId& id) override;
  Result<Bytes> get_for_peer(const ChunkId& id) override;
  Status with_sealed(const ChunkId& id, const SealedUse& use) override;
  Result<bool> contains(const ChunkId& id) override;
  Status remove(const ChunkId& id) override;
  Result<std::vector<ChunkId>> list() override;
  void prefetch(const ChunkId& id) override;
  std::unique_ptr<PutBatch> begin_batch() override { return own_.begin_batch(); }
  Status sync() override;
  // Both together: bytes and chunks added (a chunk in both counts twice),
  // quota_bytes of `own` (the owner's; held/'s budget is its own usage()).
  Usage usage() const override;

  ChunkStore& own() { return own_; }
  ChunkStore& held() { return held_; }

 private:
  ChunkStore& own_;
  ChunkStore& held_;
};

}  // namespace dfs::store
