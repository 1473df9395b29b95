// The storage challenge (PROVE_CHUNK, issue 10) to and from the wire
// schema (net/wire.proto ProveChunk / ProveChunkResult), the placer's lease
// key and the keyed renewal (issue 15: PutChunk.placer_key,
// HasChunks.renewal), and the chunk ID field every chunk RPC carries. The decoders take envelopes from other
// peers: a malformed field is an Errc::corrupt naming it, and nothing is
// read beyond the fixed sizes (32-byte IDs, nonces, proofs and keys,
// 64-byte signatures).
#pragma once

#include <optional>
#include <string>

#include "dfs/chunk/chunk_id.hpp"
#include "dfs/crypto/crypto.hpp"
#include "dfs/replicate/keyed_renewal.hpp"
#include "dfs/replicate/storage_proof.hpp"
#include "dfs/util/result.hpp"
#include "wire.pb.h"

namespace dfs::p2p {

struct ProveRequest {
  ChunkId id;
  replicate::ProofNonce nonce{};
  bool operator==(const ProveRequest&) const = default;
};

// A chunk ID field: exactly 32 bytes.
Result<ChunkId> chunk_id_from_wire(const std::string& bytes);

wire::Envelope prove_request_to_wire(const ProveRequest& request);
// The envelope's ProveChunk; Errc::corrupt if it has another body.
Result<ProveRequest> prove_request_from_wire(const wire::Envelope& envelope);

wire::Envelope proof_to_wire(const crypto::Digest& proof);
// The envelope's ProveChunkResult; Errc::corrupt if it has another body.
Result<crypto::Digest> proof_from_wire(const wire::Envelope& envelope);

// PutChunk.placer_key: none when empty, else exactly 32 bytes.
Result<replicate::PlacerKey> placer_key_from_wire(const wire::PutChunk& put);

void renewal_to_wire(const replicate::KeyedRenewal& renewal, wire::HasChunks& has);
// HasChunks.renewal: none when absent, else a 32-byte key and a 64-byte
// signature (checked against the request by ChunkServer, not here).
Result<std::optional<replicate::KeyedRenewal>> renewal_from_wire(const wire::HasChunks& has);

}  // namespace dfs::p2p
