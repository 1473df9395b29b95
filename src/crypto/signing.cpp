#include "dfs/crypto/signing.hpp"

#include <cryptopp/hkdf.h>
#include <cryptopp/misc.h>
#include <cryptopp/osrng.h>
#include <cryptopp/sha.h>
#include <cryptopp/xed25519.h>

#include <algorithm>

namespace dfs::crypto {

SigningKey::SigningKey(const SecretKey& seed) : seed_(seed) {
  const CryptoPP::ed25519Signer signer(seed_.bytes().data());
  const auto& key = dynamic_cast<const CryptoPP::ed25519PrivateKey&>(signer.GetPrivateKey());
  std::copy_n(key.GetPublicKeyBytePtr(), kPublicKeySize, public_key_.begin());
}

SigningKey SigningKey::from_seed(const SecretKey& seed) { return SigningKey(seed); }

SigningKey::SigningKey(const SigningKey& other) = default;
SigningKey& SigningKey::operator=(const SigningKey& other) = default;
SigningKey::~SigningKey() = default;

Signature SigningKey::sign(ByteView message) const {
  const CryptoPP::ed25519Signer signer(public_key_.data(), seed_.bytes().data());
  Signature out{};
  // Ed25519 signing is deterministic; Crypto++ asks for a generator anyway.
  CryptoPP::AutoSeededRandomPool rng;
  signer.SignMessage(rng, message.data(), message.size(), out.data());
  return out;
}

bool verify_signature(const PublicKey& public_key, ByteView message, const Signature& signature) {
  try {
    const CryptoPP::ed25519Verifier verifier(public_key.data());
    return verifier.VerifyMessage(message.data(), message.size(), signature.data(), signature.size());
  } catch (const CryptoPP::Exception&) {
    return false;  // a point that does not decode
  }
}

SecretKey derive_key(const SecretKey& secret, std::string_view purpose) {
  std::array<std::uint8_t, kKeySize> out{};
  CryptoPP::HKDF<CryptoPP::SHA256> hkdf;
  hkdf.DeriveKey(out.data(), out.size(), secret.bytes().data(), secret.bytes().size(), nullptr, 0,
                 reinterpret_cast<const CryptoPP::byte*>(purpose.data()), purpose.size());
  SecretKey key = SecretKey::from_bytes(out);
  CryptoPP::SecureWipeArray(out.data(), out.size());
  return key;
}

}  // namespace dfs::crypto
