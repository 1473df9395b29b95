// Crypto++ wrappers: the only place in dfs that names Crypto++.
//
// SHA-256 (FIPS 180-4), AES-256-GCM (NIST SP 800-38D) with 96-bit nonces and
// 128-bit tags, and the OS random generator. Keys live in SecretKey, which
// wipes its bytes when destroyed.
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "dfs/util/bytes.hpp"

namespace dfs::crypto {

inline constexpr std::size_t kDigestSize = 32;
inline constexpr std::size_t kKeySize = 32;
inline constexpr std::size_t kNonceSize = 12;
inline constexpr std::size_t kTagSize = 16;

using Digest = std::array<std::uint8_t, kDigestSize>;
using Nonce = std::array<std::uint8_t, kNonceSize>;

Digest sha256(ByteView data);

// Incremental SHA-256 for data that arrives in pieces.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(ByteView data);
  Digest finish();  // resets the hasher for reuse

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Fills `out` from the operating system's CSPRNG. Thread-safe.
void random_bytes(MutableByteView out);
// Overwrites `out` with zeros in a way the compiler keeps (a copy of key
// bytes that is no longer needed).
void wipe(MutableByteView out);

// A 256-bit symmetric key that is wiped from memory when destroyed.
class SecretKey {
 public:
  static SecretKey generate();
  static SecretKey from_bytes(const std::array<std::uint8_t, kKeySize>& bytes);

  SecretKey(const SecretKey& other) = default;
  SecretKey& operator=(const SecretKey& other) = default;
  ~SecretKey();

  const std::array<std::uint8_t, kKeySize>& bytes() const { return bytes_; }
  bool operator==(const SecretKey& other) const;  // constant time

 private:
  SecretKey() = default;
  std::array<std::uint8_t, kKeySize> bytes_{};
};

// Encrypts `plaintext` into `out`, which must hold plaintext.size() +
// kTagSize bytes: the ciphertext followed by the tag. `aad` is
// authenticated but not encrypted.
void aes256gcm_seal(const SecretKey& key, const Nonce& nonce, ByteView aad, ByteView plaintext,
                    MutableByteView out);

// Inverse of aes256gcm_seal: checks the tag over `aad` and the ciphertext
// and decrypts into `out` (sealed.size() - kTagSize bytes). Fails with
// Errc::corrupt, leaving `out` zeroed, if authentication fails.
Status aes256gcm_open(const SecretKey& key, const Nonce& nonce, ByteView aad, ByteView sealed,
                      MutableByteView out);

}  // namespace dfs::crypto
