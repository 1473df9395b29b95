// ChunkClient: the outgoing chunk RPCs (DESIGN.md §4: PUT_CHUNK, GET_CHUNK,
// HAS_CHUNKS, and PROVE_CHUNK, issue 10) the Replicator sends to other peers. Like dht::Transport it
// is an interface so that replication runs over the simulator in tests and
// over TLS (net/, wire.proto PutChunk / GetChunk / HasChunks) in a peer.
//
// Contract for every implementation: each `done` runs exactly once, on the
// Scheduler's loop thread, never from inside the call that takes it, and at
// the latest after the implementation's own timeout, with:
//   - Errc::timed_out when no answer came in time,
//   - Errc::unavailable when `to` cannot be reached (or proves another ID
//     than a non-zero `to.id`),
//   - otherwise the code the peer answered with (not_found, corrupt,
//     no_space, too_large, ...).
// The calls themselves are made on the loop thread only.
#pragma once

#include <functional>
#include <vector>

#include "dfs/chunk/chunk_id.hpp"
#include "dfs/crypto/crypto.hpp"
#include "dfs/dht/contact.hpp"
#include "dfs/replicate/keyed_renewal.hpp"
#include "dfs/replicate/storage_proof.hpp"
#include "dfs/util/bytes.hpp"
#include "dfs/util/result.hpp"
#include "dfs/util/shared_bytes.hpp"

namespace dfs::replicate {

class ChunkClient {
 public:
  virtual ~ChunkClient() = default;

  // Asks `to` to store `sealed` under `id`. OK once the peer has stored it
  // (or already held it); the peer verifies the hash first. `sealed` is
  // shared: pushing one chunk to R peers does not copy it R times.
  // `lease_key`: the lease key the peer records with the chunk
  // (keyed_renewal.hpp); none: the client's own, if it has one. Repair
  // names the owner's (LocalChunks::lease_key_of).
  virtual void put_chunk(const dht::Contact& to, const ChunkId& id, SharedBytes sealed, const PlacerKey& lease_key,
                         std::function<void(Status)> done) = 0;

  // The sealed bytes `to` holds under `id`, as received: the caller
  // verifies them (a peer may lie). Errc::not_found if it does not hold it.
  virtual void get_chunk(const dht::Contact& to, const ChunkId& id, std::function<void(Result<Bytes>)> done) = 0;

  // For each of `ids` (at most kMaxHasChunksBatch, see config.hpp), whether
  // `to` holds it, in the same order. An answer of another length is a
  // protocol error; the Replicator treats it as a failed RPC.
  virtual void has_chunks(const dht::Contact& to, std::vector<ChunkId> ids,
                          std::function<void(Result<std::vector<bool>>)> done) = 0;

  // A storage challenge: the proof `to` computes from its copy of `id` and
  // `nonce` (storage_proof.hpp), as received: the caller checks it against
  // its own copy. Errc::not_found if it does not hold the chunk,
  // Errc::busy if it is asked too often.
  virtual void prove_chunk(const dht::Contact& to, const ChunkId& id, const ProofNonce& nonce,
                           std::function<void(Result<crypto::Digest>)> done) = 0;
};

}  // namespace dfs::replicate
