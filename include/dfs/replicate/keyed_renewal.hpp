// Keyed renewal (issue 15): a lease renewal proven by the placer's key
// instead of its node ID, so that a machine recovered with the namespace's
// recovery key — a new node ID — renews the leases the lost machine took.
//
// A node with a recovery key attaches the public half of its lease key
// (crypto::RecoveryKey::lease_key) to every chunk it places (PutChunk's
// placer_key); the holder records it with the lease. Later, any node may
// send a HAS_CHUNKS carrying a KeyedRenewal: a signature by that key over
// the holder's node ID, the asker's node ID, the time it was issued and
// the chunk IDs asked about. The holder extends, of those chunks, the
// leases recorded with that key. The rule of issue 10 holds: an arbitrary
// peer renews nothing; only whoever holds the placer's key (its node, or
// the machine that recovered its namespace) does.
//
// Replay: the signature names the holder and the asker, so it is good at
// that holder and from that asker's connection only (node IDs are proven
// by TLS); and a renewal extends a lease to `issued_at` + the lease length
// at most, so replaying it later extends nothing it did not already. One
// issued more than kMaxRenewalSkew ahead of the holder's clock is refused.
//
// What holders learn: the key is one per namespace, stable across
// machines, so a holder can tell which chunks came from one namespace (as
// the placer's node ID already told it) and that a new node ID speaks for
// the same namespace as an old one. It learns nothing of the recovery key
// or of the namespace's pointer record (other derived keys).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>

#include "dfs/chunk/chunk_id.hpp"
#include "dfs/crypto/signing.hpp"
#include "dfs/dht/node_id.hpp"

namespace dfs::replicate {

// How far ahead of the holder's clock a renewal may be dated.
inline constexpr std::int64_t kMaxRenewalSkew = 600;

// The public half of a placer's lease key, as recorded with a lease; none
// for a placer without a recovery key.
using PlacerKey = std::optional<crypto::PublicKey>;

// The lease key recorded here with the lease of a chunk another peer put
// (its placer's, the owner's when the owner placed it), none if there is
// none. Blocking (a node reads its index): called from blocking work only.
// Repair sends it with the copies it makes (LocalChunks::lease_key_of).
using PlacerKeyOf = std::function<Result<PlacerKey>(const ChunkId&)>;

struct KeyedRenewal {
  crypto::PublicKey key{};
  std::int64_t issued_at = 0;  // seconds since the epoch, by the asker's clock
  crypto::Signature signature{};
};

// `key` renews the leases of `ids` at `holder`, sent by `asker`.
KeyedRenewal sign_renewal(const crypto::SigningKey& key, const dht::NodeId& holder, const dht::NodeId& asker,
                          std::int64_t issued_at, std::span<const ChunkId> ids);

// Whether `renewal` is the signature of its key over exactly these.
bool verify_renewal(const KeyedRenewal& renewal, const dht::NodeId& holder, const dht::NodeId& asker,
                    std::span<const ChunkId> ids);

}  // namespace dfs::replicate
