#include "dfs/store/memory_chunk_store.hpp"

#include <string>
#include <utility>

#include "dfs/util/log.hpp"

namespace dfs::store {
namespace {

Error not_found(const ChunkId& id) { return make_error(Errc::not_found, "chunk " + id.short_hex() + " not found"); }

}  // namespace

Status MemoryChunkStore::put(const ChunkId& id, ByteView sealed) {
  DFS_TRY(check_sealed(id, sealed));
  {
    // Storing an existing chunk must succeed even with a full quota.
    std::lock_guard lock(mutex_);
    if (chunks_.contains(id)) return {};
  }
  DFS_ASSIGN_OR_RETURN(UsageCounter::Reservation reservation, usage_.reserve(sealed.size()));
  Bytes copy(sealed.begin(), sealed.end());  // copied outside the lock
  std::lock_guard lock(mutex_);
  // A concurrent put of the same chunk may have won; then the reservation
  // is released and nothing changes.
  if (chunks_.try_emplace(id, std::move(copy)).second) reservation.commit();
  return {};
}

Result<Bytes> MemoryChunkStore::get(const ChunkId& id) {
  Bytes bytes;
  {
    std::lock_guard lock(mutex_);
    auto it = chunks_.find(id);
    if (it == chunks_.end()) return not_found(id);
    bytes = it->second;
  }
  if (ChunkId::of(bytes) == id) return bytes;
  // Drop it, as the disk store quarantines it; only erase the copy we
  // checked, not one a concurrent remove + put may have put back.
  {
    std::lock_guard lock(mutex_);
    auto it = chunks_.find(id);
    if (it != chunks_.end() && it->second == bytes) {
      usage_.remove_stored(it->second.size());
      chunks_.erase(it);
    }
  }
  log::warn("memory store: chunk " + id.hex() + " does not match its ID; dropped");
  return make_error(Errc::corrupt, "chunk " + id.short_hex() + " does not match its ID");
}

Result<bool> MemoryChunkStore::contains(const ChunkId& id) {
  std::lock_guard lock(mutex_);
  return chunks_.contains(id);
}

Status MemoryChunkStore::remove(const ChunkId& id) {
  std::lock_guard lock(mutex_);
  auto it = chunks_.find(id);
  if (it == chunks_.end()) return not_found(id);
  usage_.remove_stored(it->second.size());
  chunks_.erase(it);
  return {};
}

Result<std::vector<ChunkId>> MemoryChunkStore::list() {
  std::lock_guard lock(mutex_);
  std::vector<ChunkId> ids;
  ids.reserve(chunks_.size());
  for (const auto& entry : chunks_) ids.push_back(entry.first);
  return ids;
}

Usage MemoryChunkStore::usage() const { return usage_.usage(); }

Status MemoryChunkStore::corrupt_for_testing(const ChunkId& id) {
  std::lock_guard lock(mutex_);
  auto it = chunks_.find(id);
  if (it == chunks_.end()) return not_found(id);
  if (it->second.empty()) return make_error(Errc::invalid_argument, "an empty chunk has no bit to flip");
  it->second[0] ^= 0x01;
  return {};
}

}  // namespace dfs::store
