// Fuzzes the chunk RPC field decoders (p2p/chunk_wire.hpp) on envelopes
// from a peer: parse the Envelope, decode it as a PROVE_CHUNK request and
// as its answer, and decode a PUT_CHUNK's placer key and a HAS_CHUNKS'
// keyed renewal (issue 15).
//
// Properties: a decoded request, proof or renewal re-encodes to an
// envelope that decodes to the same value; the chunk ID decoder accepts
// exactly 32-byte fields, the placer key decoder empty or 32-byte ones.
#include "dfs/p2p/chunk_wire.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dfs;
  wire::Envelope env;
  if (!env.ParseFromArray(data, static_cast<int>(size))) return 0;

  if (auto request = p2p::prove_request_from_wire(env); request.ok()) {
    FUZZ_CHECK(env.has_prove_chunk());
    auto again = p2p::prove_request_from_wire(p2p::prove_request_to_wire(*request));
    FUZZ_CHECK(again.ok() && *again == *request);
  }
  if (auto proof = p2p::proof_from_wire(env); proof.ok()) {
    FUZZ_CHECK(env.has_prove_chunk_result());
    auto again = p2p::proof_from_wire(p2p::proof_to_wire(*proof));
    FUZZ_CHECK(again.ok() && *again == *proof);
  }
  if (auto renewal = p2p::renewal_from_wire(env.has_chunks()); renewal.ok() && *renewal) {
    FUZZ_CHECK(env.has_chunks().has_renewal());
    wire::HasChunks again;
    p2p::renewal_to_wire(**renewal, again);
    auto decoded = p2p::renewal_from_wire(again);
    FUZZ_CHECK(decoded.ok() && *decoded && (*decoded)->key == (*renewal)->key &&
               (*decoded)->signature == (*renewal)->signature && (*decoded)->issued_at == (*renewal)->issued_at);
  }
  const std::string& key = env.put_chunk().placer_key();
  FUZZ_CHECK(p2p::placer_key_from_wire(env.put_chunk()).ok() == (key.empty() || key.size() == 32));
  const std::string& raw = env.prove_chunk().chunk_id();
  FUZZ_CHECK(p2p::chunk_id_from_wire(raw).ok() == (raw.size() == 32));
  return 0;
}
