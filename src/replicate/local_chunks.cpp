#include "dfs/replicate/local_chunks.hpp"

#include <algorithm>

#include "dfs/store/chunk_source.hpp"

namespace dfs::replicate {

Result<Bytes> LocalChunks::get(const ChunkId& id) const {
  if (owned == nullptr) return store.get(id);
  return store::FallbackChunkStore(store, *owned, store::FallbackChunkStore::Keep::nothing).get(id);
}

Status LocalChunks::serve(const ChunkId& id) const {
  DFS_ASSIGN_OR_RETURN(const bool served, store.contains(id));
  if (served || owned == nullptr) return {};
  Result<Bytes> bytes = owned->get(id);
  if (!bytes.ok() && bytes.error().code == Errc::not_found) return {};
  if (!bytes.ok()) return bytes.take_error();
  DFS_TRY(store.put(id, *bytes));
  Status removed = owned->remove(id);
  if (!removed.ok() && removed.error().code != Errc::not_found) return removed;
  return {};
}

Result<std::vector<ChunkId>> LocalChunks::list() const {
  DFS_ASSIGN_OR_RETURN(std::vector<ChunkId> all, store.list());
  if (owned != nullptr) {
    DFS_ASSIGN_OR_RETURN(std::vector<ChunkId> more, owned->list());
    all.insert(all.end(), more.begin(), more.end());
  }
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  return all;
}

Result<PlacerKey> LocalChunks::lease_key_of(const ChunkId& id) const {
  if (!lease_keys) return PlacerKey();
  return lease_keys(id);
}

}  // namespace dfs::replicate
