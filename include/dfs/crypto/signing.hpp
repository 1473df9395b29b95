// Ed25519 signatures (RFC 8032) and HKDF-SHA256 key derivation (RFC 5869),
// through Crypto++ like the rest of crypto/.
//
// A SigningKey is made from a 32-byte seed (a SecretKey), so a key pair can
// be derived from another secret and never needs storing on its own; the
// seed is wiped with the SigningKey.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>

#include "dfs/crypto/crypto.hpp"

namespace dfs::crypto {

inline constexpr std::size_t kPublicKeySize = 32;
inline constexpr std::size_t kSignatureSize = 64;

using PublicKey = std::array<std::uint8_t, kPublicKeySize>;
using Signature = std::array<std::uint8_t, kSignatureSize>;

class SigningKey {
 public:
  // The Ed25519 key pair whose private seed is `seed`.
  static SigningKey from_seed(const SecretKey& seed);

  SigningKey(const SigningKey& other);
  SigningKey& operator=(const SigningKey& other);
  ~SigningKey();

  const PublicKey& public_key() const { return public_key_; }
  // Deterministic, as Ed25519 is: the same message gives the same signature.
  Signature sign(ByteView message) const;

 private:
  explicit SigningKey(const SecretKey& seed);
  SecretKey seed_;
  PublicKey public_key_{};
};

// True when `signature` is `public_key`'s over `message`. Any malformed
// key or signature is simply false.
bool verify_signature(const PublicKey& public_key, ByteView message, const Signature& signature);

// HKDF-SHA256 of `secret` with no salt and `purpose` as the info string:
// independent keys for separate jobs from one secret.
SecretKey derive_key(const SecretKey& secret, std::string_view purpose);

}  // namespace dfs::crypto
