#include "dfs/p2p/chunk_wire.hpp"

#include <cstring>

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

}  // namespace dfs::p2p
