#include "dfs/p2p/chunk_wire.hpp"

#include <cstring>

#include "dfs/net/wire_codes.hpp"
#include "dfs/replicate/config.hpp"

namespace dfs::p2p {

namespace {

// Copies `bytes` into `out` if it has exactly out.size() bytes.
template <std::size_t N>
Status fixed_from_wire(const std::string& bytes, std::array<std::uint8_t, N>& out, const char* field) {
  if (bytes.size() != N) {
    return make_error(Errc::corrupt, std::string(field) + " has " + std::to_string(bytes.size()) + " bytes, not " +
                                         std::to_string(N));
  }
  std::memcpy(out.data(), bytes.data(), N);
  return {};
}

template <std::size_t N>
std::string to_string(const std::array<std::uint8_t, N>& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace

Result<ChunkId> chunk_id_from_wire(const std::string& bytes) {
  ChunkId id;
  DFS_TRY(fixed_from_wire(bytes, id.bytes, "chunk ID"));
  return id;
}

wire::Envelope prove_request_to_wire(const ProveRequest& request) {
  wire::Envelope env;
  env.mutable_prove_chunk()->set_chunk_id(to_string(request.id.bytes));
  env.mutable_prove_chunk()->set_nonce(to_string(request.nonce));
  return env;
}

Result<ProveRequest> prove_request_from_wire(const wire::Envelope& envelope) {
  if (!envelope.has_prove_chunk()) return make_error(Errc::corrupt, "not a PROVE_CHUNK request");
  ProveRequest out;
  DFS_ASSIGN_OR_RETURN(out.id, chunk_id_from_wire(envelope.prove_chunk().chunk_id()));
  DFS_TRY(fixed_from_wire(envelope.prove_chunk().nonce(), out.nonce, "PROVE_CHUNK nonce"));
  return out;
}

wire::Envelope proof_to_wire(const crypto::Digest& proof) {
  wire::Envelope env;
  env.mutable_prove_chunk_result()->set_proof(to_string(proof));
  return env;
}

Result<crypto::Digest> proof_from_wire(const wire::Envelope& envelope) {
  if (!envelope.has_prove_chunk_result()) return make_error(Errc::corrupt, "PROVE_CHUNK answered with another body");
  crypto::Digest proof{};
  DFS_TRY(fixed_from_wire(envelope.prove_chunk_result().proof(), proof, "PROVE_CHUNK proof"));
  return proof;
}

Result<replicate::PlacerKey> placer_key_from_wire(const wire::PutChunk& put) {
  if (put.placer_key().empty()) return replicate::PlacerKey{};
  crypto::PublicKey key{};
  DFS_TRY(fixed_from_wire(put.placer_key(), key, "PUT_CHUNK placer key"));
  return replicate::PlacerKey{key};
}

void renewal_to_wire(const replicate::KeyedRenewal& renewal, wire::HasChunks& has) {
  wire::KeyedRenewal& out = *has.mutable_renewal();
  out.set_public_key(to_string(renewal.key));
  out.set_issued_at(renewal.issued_at);
  out.set_signature(to_string(renewal.signature));
}

Result<std::optional<replicate::KeyedRenewal>> renewal_from_wire(const wire::HasChunks& has) {
  if (!has.has_renewal()) return std::optional<replicate::KeyedRenewal>{};
  replicate::KeyedRenewal renewal;
  DFS_TRY(fixed_from_wire(has.renewal().public_key(), renewal.key, "HAS_CHUNKS renewal key"));
  DFS_TRY(fixed_from_wire(has.renewal().signature(), renewal.signature, "HAS_CHUNKS renewal signature"));
  renewal.issued_at = has.renewal().issued_at();
  return std::optional(renewal);
}

wire::Envelope put_batch_to_wire(const std::vector<std::pair<ChunkId, std::size_t>>& chunks,
                                 const replicate::PlacerKey& key) {
  wire::Envelope env;
  wire::PutChunks& batch = *env.mutable_put_chunks();
  for (const auto& [id, size] : chunks) {
    wire::PutChunksEntry& entry = *batch.add_chunks();
    entry.set_chunk_id(to_string(id.bytes));
    entry.set_size(static_cast<std::uint32_t>(size));
  }
  if (key) batch.set_placer_key(to_string(*key));
  return env;
}

Result<PutBatchRequest> put_batch_from_wire(const wire::Envelope& envelope, std::size_t payload_size) {
  if (!envelope.has_put_chunks()) return make_error(Errc::corrupt, "not a PUT_CHUNKS request");
  const wire::PutChunks& batch = envelope.put_chunks();
  const auto count = static_cast<std::size_t>(batch.chunks_size());
  if (count == 0) return make_error(Errc::corrupt, "PUT_CHUNKS without a chunk");
  if (count > replicate::kMaxPutBatchChunks) {
    return make_error(Errc::too_large, "PUT_CHUNKS of " + std::to_string(count) + " chunks, above the limit of " +
                                           std::to_string(replicate::kMaxPutBatchChunks));
  }
  if (payload_size > replicate::kMaxPutBatchBytes) {
    return make_error(Errc::too_large, "PUT_CHUNKS of " + std::to_string(payload_size) +
                                           " bytes, above the limit of " +
                                           std::to_string(replicate::kMaxPutBatchBytes));
  }
  PutBatchRequest out;
  if (!batch.placer_key().empty()) {
    crypto::PublicKey key{};
    DFS_TRY(fixed_from_wire(batch.placer_key(), key, "PUT_CHUNKS placer key"));
    out.key = key;
  }
  out.chunks.reserve(count);
  std::size_t offset = 0;
  for (const wire::PutChunksEntry& entry : batch.chunks()) {
    BatchedChunk chunk;
    DFS_ASSIGN_OR_RETURN(chunk.id, chunk_id_from_wire(entry.chunk_id()));
    chunk.offset = offset;
    chunk.size = entry.size();
    if (chunk.size == 0) return make_error(Errc::corrupt, "PUT_CHUNKS names an empty chunk");
    if (chunk.size > replicate::kMaxBatchedChunkSize) {
      return make_error(Errc::too_large, "PUT_CHUNKS carries a chunk of " + std::to_string(chunk.size) +
                                             " bytes, above the limit of " +
                                             std::to_string(replicate::kMaxBatchedChunkSize) + " for a batch");
    }
    // Each size is bounded, and so is their number: no overflow.
    offset += chunk.size;
    if (offset > payload_size) break;
    out.chunks.push_back(chunk);
  }
  if (offset != payload_size) {
    return make_error(Errc::corrupt, "PUT_CHUNKS sizes do not add up to its payload of " +
                                         std::to_string(payload_size) + " bytes");
  }
  return out;
}

wire::Envelope put_batch_result_to_wire(const std::vector<Status>& outcomes) {
  wire::Envelope env;
  wire::PutChunksResult& result = *env.mutable_put_chunks_result();
  for (const Status& outcome : outcomes) {
    wire::Error& out = *result.add_outcomes();
    if (outcome.ok()) continue;  // code 0: stored
    out = net::to_wire_error(outcome.error());
    if (out.message().size() > net::kMaxPeerErrorText) out.mutable_message()->resize(net::kMaxPeerErrorText);
  }
  return env;
}

Result<std::vector<Status>> put_batch_result_from_wire(const wire::Envelope& envelope, std::size_t count) {
  if (!envelope.has_put_chunks_result()) return make_error(Errc::corrupt, "PUT_CHUNKS answered with another body");
  const auto& outcomes = envelope.put_chunks_result().outcomes();
  if (static_cast<std::size_t>(outcomes.size()) != count) {
    return make_error(Errc::corrupt, "PUT_CHUNKS answered " + std::to_string(outcomes.size()) + " outcomes for " +
                                         std::to_string(count) + " chunks");
  }
  std::vector<Status> out;
  out.reserve(count);
  for (const wire::Error& outcome : outcomes) {
    if (outcome.code() == 0) {
      out.emplace_back();
    } else {
      out.emplace_back(net::from_wire_error(outcome));
    }
  }
  return out;
}

}  // namespace dfs::p2p
