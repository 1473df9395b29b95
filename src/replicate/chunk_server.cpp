#include "dfs/replicate/chunk_server.hpp"

#include <string>

#include "dfs/replicate/config.hpp"

namespace dfs::replicate {
namespace {

void bump(std::atomic<std::uint64_t>& counter) { counter.fetch_add(1, std::memory_order_relaxed); }
std::uint64_t read(const std::atomic<std::uint64_t>& counter) { return counter.load(std::memory_order_relaxed); }

}  // namespace

ChunkServer::ChunkServer(store::ChunkStore& store, LeaseRecorder* leases)
    : store_(store), leases_(leases), committer_(store) {}

Status ChunkServer::on_put(const ChunkId& id, ByteView sealed) {
  // This is where bytes from strangers enter: check them here, once, so
  // that no store implementation or decorator can be the one that forgets
  // (the store is then told they are verified and does not hash again).
  Status status = store::check_sealed(id, sealed);
  if (status.ok() && leases_ != nullptr) leases_->lease(id);  // before the put: GC keeps off it from now on
  // Durable when it returns, synced together with the PUTs arriving at
  // the same time: an ack still means the chunk survives a crash here.
  if (status.ok()) status = committer_.put_verified(id, sealed);
  bump(status.ok() ? puts_stored_ : puts_refused_);
  return status;
}

Result<Bytes> ChunkServer::on_get(const ChunkId& id) {
  Result<Bytes> bytes = store_.get_for_peer(id);  // checked by the store
  bump(bytes.ok() ? gets_served_ : gets_failed_);
  return bytes;
}

Result<std::vector<bool>> ChunkServer::on_has(std::span<const ChunkId> ids) {
  bump(has_requests_);
  if (ids.size() > kMaxHasChunksBatch) {
    return make_error(Errc::too_large, "HAS_CHUNKS asks for " + std::to_string(ids.size()) +
                                           " chunks, above the limit of " + std::to_string(kMaxHasChunksBatch));
  }
  std::vector<bool> held;
  held.reserve(ids.size());
  for (const ChunkId& id : ids) {
    Result<bool> present = store_.contains(id);
    held.push_back(present.ok() && *present);
    // Repair rounds ask about every chunk the asker has — the other
    // holders about what they serve, the owner about its files' chunks in
    // its cache — so a chunk someone still checks keeps its lease here
    // (see node/leases.hpp).
    if (held.back() && leases_ != nullptr) leases_->lease(id);
  }
  return held;
}

ServerStats ChunkServer::stats() const {
  return ServerStats{read(puts_stored_), read(puts_refused_), read(gets_served_), read(gets_failed_),
                     read(has_requests_)};
}

}  // namespace dfs::replicate
