// The storage challenge (PROVE_CHUNK, issue 10) to and from the wire
// schema (net/wire.proto ProveChunk / ProveChunkResult), and the chunk ID
// field every chunk RPC carries. The decoders take envelopes from other
// peers: a malformed field is an Errc::corrupt naming it, and nothing is
// read beyond the fixed sizes (32-byte IDs, nonces and proofs).
#pragma once

#include <string>

#include "dfs/chunk/chunk_id.hpp"
#include "dfs/crypto/crypto.hpp"
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

}  // namespace dfs::p2p
