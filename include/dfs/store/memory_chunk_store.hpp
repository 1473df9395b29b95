// MemoryChunkStore: a ChunkStore held in memory, for unit tests of the
// layers above store/. Same semantics as DiskChunkStore, quota included,
// so a test that passes against it means the same against the disk.
#pragma once

#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "dfs/store/chunk_store.hpp"
#include "dfs/store/usage_counter.hpp"

namespace dfs::store {

class MemoryChunkStore final : public ChunkStore {
 public:
  explicit MemoryChunkStore(std::uint64_t quota_bytes = 0) : usage_(quota_bytes) {}

  Status put(const ChunkId& id, ByteView sealed) override;
  Result<Bytes> get(const ChunkId& id) override;
  Result<bool> contains(const ChunkId& id) override;
  Status remove(const ChunkId& id) override;
  Result<std::vector<ChunkId>> list() override;
  Usage usage() const override;

  // Flips one bit of a stored chunk, as a failing disk would, so that tests
  // of upper layers can exercise the corrupt path. Errc::not_found if absent.
  Status corrupt_for_testing(const ChunkId& id);

 private:
  UsageCounter usage_;
  // Lock order: mutex_ before usage_'s (leaf) lock.
  mutable std::mutex mutex_;
  std::unordered_map<ChunkId, Bytes> chunks_;  // guarded by mutex_
};

}  // namespace dfs::store
