// Storage proofs (issue 10): a peer that says it holds a chunk (HAS_CHUNKS)
// can be asked to prove it with a fresh random nonce; the proof,
// SHA-256(nonce | sealed bytes), can only be computed from the bytes
// themselves, and the asker, who has its own copy, computes it too. The
// nonce is fresh per challenge, so no proof can be kept and replayed.
//
// What it does not prove: that the peer keeps the bytes on its own disk. A
// peer could fetch the chunk from another holder when challenged; that
// costs it a transfer per challenge, as much as storing would save.
#pragma once

#include <array>
#include <cstdint>

#include "dfs/crypto/crypto.hpp"
#include "dfs/util/bytes.hpp"

namespace dfs::replicate {

// Part of the protocol: a PROVE_CHUNK with a nonce of another size is
// refused.
inline constexpr std::size_t kProofNonceSize = 32;
using ProofNonce = std::array<std::uint8_t, kProofNonceSize>;

inline ProofNonce fresh_proof_nonce() {
  ProofNonce nonce{};
  crypto::random_bytes(nonce);
  return nonce;
}

inline crypto::Digest storage_proof(const ProofNonce& nonce, ByteView sealed) {
  crypto::Sha256 hash;
  hash.update(nonce);
  hash.update(sealed);
  return hash.finish();
}

}  // namespace dfs::replicate
