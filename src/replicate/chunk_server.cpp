#include "dfs/replicate/chunk_server.hpp"

#include <string>

#include "dfs/replicate/config.hpp"

namespace dfs::replicate {
namespace {

void bump(std::atomic<std::uint64_t>& counter) { counter.fetch_add(1, std::memory_order_relaxed); }
std::uint64_t read(const std::atomic<std::uint64_t>& counter) { return counter.load(std::memory_order_relaxed); }

}  // namespace

ChunkServer::ChunkServer(store::ChunkStore& served, store::ChunkStore* held, LeaseRecorder* leases)
    : served_(served), held_(held != nullptr ? *held : served), leases_(leases), committer_(held_) {}

Status ChunkServer::on_put(const ChunkId& id, ByteView sealed, const dht::NodeId& from, const PlacerKey& key) {
  const PutItem item{id, sealed};
  return std::move(on_put_many({&item, 1}, from, key).front());
}

std::vector<Status> ChunkServer::on_put_many(std::span<const PutItem> items, const dht::NodeId& from,
                                             const PlacerKey& key) {
  std::vector<Status> out;
  out.reserve(items.size());
  std::vector<PutItem> to_store;
  std::vector<std::size_t> stored_at;  // where each of to_store is in `out`
  for (const PutItem& item : items) {
    // This is where bytes from strangers enter: check them here, once, so
    // that no store implementation or decorator can be the one that
    // forgets (the store is then told they are verified and does not hash
    // again).
    Status status = store::check_sealed(item.id, item.sealed);
    if (status.ok() && leases_ != nullptr) leases_->lease(item.id, from, key);  // before the put: GC keeps off it from now on
    // A chunk already served here (the owner's copy, or an earlier PUT)
    // costs no budget: only its lease is extended.
    Result<bool> held = status.ok() ? served_.contains(item.id) : Result<bool>(false);
    if (status.ok() && !(held.ok() && *held)) {
      stored_at.push_back(out.size());
      to_store.push_back(item);
    }
    out.push_back(std::move(status));
  }
  // Durable when it returns, synced together with the PUTs arriving at
  // the same time: an ack still means the chunk survives a crash here.
  std::vector<Status> stored = committer_.put_verified(to_store);
  for (std::size_t i = 0; i < stored.size(); ++i) out[stored_at[i]] = std::move(stored[i]);
  for (Status& status : out) {
    if (!status.ok() && status.error().code == Errc::no_space) {
      bump(puts_full_);
      status = make_error(Errc::no_space, "full: this peer's storage for other peers is full (" +
                                              status.error().message + ")");
    }
    bump(status.ok() ? puts_stored_ : puts_refused_);
  }
  return out;
}

Result<Bytes> ChunkServer::on_get(const ChunkId& id) {
  Result<Bytes> bytes = served_.get_for_peer(id);  // checked by the store
  bump(bytes.ok() ? gets_served_ : gets_failed_);
  return bytes;
}

Result<std::vector<bool>> ChunkServer::on_has(std::span<const ChunkId> ids, const HasAsker& asker) {
  bump(has_requests_);
  if (ids.size() > kMaxHasChunksBatch) {
    return make_error(Errc::too_large, "HAS_CHUNKS asks for " + std::to_string(ids.size()) +
                                           " chunks, above the limit of " + std::to_string(kMaxHasChunksBatch));
  }
  std::vector<bool> held;
  held.reserve(ids.size());
  std::vector<ChunkId> renew_if_placer, asker_holds;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    Result<bool> present = served_.contains(ids[i]);
    held.push_back(present.ok() && *present);
    if (!held.back() || leases_ == nullptr) continue;
    // Repair rounds ask about every chunk the asker has — the other
    // holders about what they serve, the owner about its files' chunks in
    // its cache — so a chunk they still check keeps its lease here (see
    // node/leases.hpp); a stranger's question renews nothing.
    if (i < asker.holds.size() && asker.holds[i]) {
      leases_->renew(ids[i]);
      asker_holds.push_back(ids[i]);
    } else {
      renew_if_placer.push_back(ids[i]);
    }
  }
  if (renew_if_placer.empty() && (asker_holds.empty() || !asker.renewal)) return held;
  // One signature over the whole request, checked only when it could
  // renew something or name a key (it costs about as much as reading a
  // small chunk).
  PlacerKey key;
  if (asker.renewal && verify_renewal(*asker.renewal, asker.holder, asker.id, ids)) key = asker.renewal->key;
  if (!renew_if_placer.empty()) leases_->renew_placed_by(renew_if_placer, asker.id, key);
  if (!key) return held;
  // A placer that holds what it placed too, and got its recovery key
  // after placing it, names the key for those as well (issue 15): the
  // machine that recovers its namespace renews them by that key alone.
  if (!asker_holds.empty()) leases_->renew_placed_by(asker_holds, asker.id, key);
  if (!renew_if_placer.empty()) leases_->renew_keyed(renew_if_placer, *key, asker.renewal->issued_at);
  return held;
}

Result<crypto::Digest> ChunkServer::on_prove(const ChunkId& id, const ProofNonce& nonce) {
  DFS_ASSIGN_OR_RETURN(Bytes sealed, served_.get_for_peer(id));  // verified: never prove from bad bytes
  bump(proofs_served_);
  return storage_proof(nonce, sealed);
}

ServerStats ChunkServer::stats() const {
  return ServerStats{read(puts_stored_), read(puts_refused_), read(puts_full_), read(gets_served_),
                     read(gets_failed_), read(has_requests_), read(proofs_served_)};
}

}  // namespace dfs::replicate
