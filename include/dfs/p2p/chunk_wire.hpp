// The storage challenge (PROVE_CHUNK, issue 10) to and from the wire
// schema (net/wire.proto ProveChunk / ProveChunkResult), the placer's lease
// key and the keyed renewal (issue 15: PutChunk.placer_key,
// HasChunks.renewal), the batched PUT (issue 12: PutChunks /
// PutChunksResult), and the chunk ID field every chunk RPC carries. The
// decoders take envelopes from other peers: a malformed field is an
// Errc::corrupt naming it, and nothing is read beyond the fixed sizes
// (32-byte IDs, nonces, proofs and keys, 64-byte signatures) and the
// batch's bounds (replicate/config.hpp).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

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

// PUT_CHUNKS: one chunk of the batch, its bytes at [offset, offset + size)
// of the frame's payload.
struct BatchedChunk {
  ChunkId id;
  std::size_t offset = 0;
  std::size_t size = 0;
  bool operator==(const BatchedChunk&) const = default;
};
struct PutBatchRequest {
  std::vector<BatchedChunk> chunks;
  replicate::PlacerKey key;
};

// The request for chunks of these IDs and sizes, whose sealed bytes the
// caller sends end to end as the payload, in this order. Sizes and count
// within the bounds are the caller's to keep (the receiver refuses more).
wire::Envelope put_batch_to_wire(const std::vector<std::pair<ChunkId, std::size_t>>& chunks,
                                 const replicate::PlacerKey& key);
// The envelope's PutChunks, for a payload of `payload_size` bytes:
// Errc::too_large for more than kMaxPutBatchChunks entries, a chunk above
// kMaxBatchedChunkSize or a payload above kMaxPutBatchBytes; Errc::corrupt
// for another body, no entry, a malformed ID or key, an empty chunk, or
// sizes that do not add up to the payload. Never refuses a batch for what
// a chunk's bytes hold (the chunk service checks each).
Result<PutBatchRequest> put_batch_from_wire(const wire::Envelope& envelope, std::size_t payload_size);

// The answer: one outcome per chunk, in order (Status ok: stored). The
// messages go to another peer: local paths are taken out, and each is cut
// to kMaxPeerErrorText.
wire::Envelope put_batch_result_to_wire(const std::vector<Status>& outcomes);
// The envelope's PutChunksResult for a batch of `count` chunks: Errc::corrupt
// for another body or another number of outcomes. Each error's text is
// made printable (net::from_wire_error).
Result<std::vector<Status>> put_batch_result_from_wire(const wire::Envelope& envelope, std::size_t count);

}  // namespace dfs::p2p
