#include "dfs/store/served_store.hpp"

#include <unordered_set>

namespace dfs::store {

namespace {
// `own`'s answer unless it does not hold the chunk; then `held`'s.
template <typename T, typename Read>
T first_holder(ChunkStore& own, ChunkStore& held, Read read) {
  T answer = read(own);
  if (answer.ok() || answer.error().code != Errc::not_found) return answer;
  return read(held);
}
}  // namespace

Result<Bytes> ServedStore::get(const ChunkId& id) {
  return first_holder<Result<Bytes>>(own_, held_, [&id](ChunkStore& s) { return s.get(id); });
}

Result<Bytes> ServedStore::get_for_peer(const ChunkId& id) {
  return first_holder<Result<Bytes>>(own_, held_, [&id](ChunkStore& s) { return s.get_for_peer(id); });
}

Status ServedStore::with_sealed(const ChunkId& id, const SealedUse& use) {
  return first_holder<Status>(own_, held_, [&id, &use](ChunkStore& s) { return s.with_sealed(id, use); });
}

Result<bool> ServedStore::contains(const ChunkId& id) {
  DFS_ASSIGN_OR_RETURN(bool in_own, own_.contains(id));
  if (in_own) return true;
  return held_.contains(id);
}

Status ServedStore::remove(const ChunkId& id) {
  Status from_own = own_.remove(id);
  Status from_held = held_.remove(id);
  if (!from_own.ok() && from_own.error().code != Errc::not_found) return from_own;
  if (!from_held.ok() && from_held.error().code != Errc::not_found) return from_held;
  if (!from_own.ok() && !from_held.ok()) return from_own;  // in neither: not_found
  return {};
}

Result<std::vector<ChunkId>> ServedStore::list() {
  DFS_ASSIGN_OR_RETURN(std::vector<ChunkId> ids, own_.list());
  DFS_ASSIGN_OR_RETURN(std::vector<ChunkId> held, held_.list());
  std::unordered_set<ChunkId> seen(ids.begin(), ids.end());
  for (const ChunkId& id : held) {
    if (seen.insert(id).second) ids.push_back(id);
  }
  return ids;
}

void ServedStore::prefetch(const ChunkId& id) {
  Result<bool> in_own = own_.contains(id);
  (in_own.ok() && *in_own ? own_ : held_).prefetch(id);
}

Status ServedStore::sync() {
  DFS_TRY(own_.sync());
  return held_.sync();
}

Usage ServedStore::usage() const {
  const Usage own = own_.usage();
  const Usage held = held_.usage();
  return Usage{own.bytes + held.bytes, own.chunks + held.chunks, own.quota_bytes};
}

}  // namespace dfs::store
