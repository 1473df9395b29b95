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

}  // namespace dfs::p2p
