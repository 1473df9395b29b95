#include "dfs/crypto/crypto.hpp"

#include <cryptopp/aes.h>
#include <cryptopp/gcm.h>
#include <cryptopp/misc.h>
#include <cryptopp/osrng.h>
#include <cryptopp/sha.h>

#include <sys/random.h>

#include <algorithm>
#include <cerrno>

namespace dfs::crypto {

Digest sha256(ByteView data) {
  Digest out{};
  CryptoPP::SHA256().CalculateDigest(out.data(), data.data(), data.size());
  return out;
}

struct Sha256::Impl {
  CryptoPP::SHA256 hash;
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {}
Sha256::~Sha256() = default;

void Sha256::update(ByteView data) { impl_->hash.Update(data.data(), data.size()); }

Digest Sha256::finish() {
  Digest out{};
  impl_->hash.Final(out.data());
  return out;
}

void random_bytes(MutableByteView out) {
  // The kernel's CSPRNG, stateless here and so safe from any thread. By
  // getrandom: Crypto++'s OS_GenerateRandomBlock opens /dev/urandom at
  // every call, three syscalls per key or nonce (a tree of small files
  // spent most of a get's system time on them).
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      CryptoPP::OS_GenerateRandomBlock(false, out.data() + done, out.size() - done);  // a kernel before 3.17
      return;
    }
    done += static_cast<std::size_t>(n);
  }
}

void wipe(MutableByteView out) { CryptoPP::SecureWipeArray(out.data(), out.size()); }

SecretKey SecretKey::generate() {
  SecretKey key;
  random_bytes(key.bytes_);
  return key;
}

SecretKey SecretKey::from_bytes(const std::array<std::uint8_t, kKeySize>& bytes) {
  SecretKey key;
  key.bytes_ = bytes;
  return key;
}

SecretKey::~SecretKey() { CryptoPP::SecureWipeArray(bytes_.data(), bytes_.size()); }

bool SecretKey::operator==(const SecretKey& other) const {
  return CryptoPP::VerifyBufsEqual(bytes_.data(), other.bytes_.data(), kKeySize);
}

void aes256gcm_seal(const SecretKey& key, const Nonce& nonce, ByteView aad, ByteView plaintext,
                    MutableByteView out) {
  CryptoPP::GCM<CryptoPP::AES>::Encryption enc;
  enc.SetKeyWithIV(key.bytes().data(), kKeySize, nonce.data(), nonce.size());
  enc.EncryptAndAuthenticate(out.data(), out.data() + plaintext.size(), kTagSize, nonce.data(),
                             static_cast<int>(nonce.size()), aad.data(), aad.size(), plaintext.data(),
                             plaintext.size());
}

Status aes256gcm_open(const SecretKey& key, const Nonce& nonce, ByteView aad, ByteView sealed,
                      MutableByteView out) {
  if (sealed.size() < kTagSize) return make_error(Errc::truncated, "sealed data shorter than its tag");
  const std::size_t text_size = sealed.size() - kTagSize;
  CryptoPP::GCM<CryptoPP::AES>::Decryption dec;
  dec.SetKeyWithIV(key.bytes().data(), kKeySize, nonce.data(), nonce.size());
  bool ok = dec.DecryptAndVerify(out.data(), sealed.data() + text_size, kTagSize, nonce.data(),
                                 static_cast<int>(nonce.size()), aad.data(), aad.size(), sealed.data(),
                                 text_size);
  if (!ok) {
    // std::fill, not memset: out.data() may be null when text_size is 0.
    std::fill(out.begin(), out.end(), std::uint8_t{0});
    return make_error(Errc::corrupt, "authentication failed (wrong key or tampered data)");
  }
  return {};
}

}  // namespace dfs::crypto
