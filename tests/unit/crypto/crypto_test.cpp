// Known-answer tests: SHA-256 from FIPS 180-4's examples (and the NIST
// "one million a" vector), AES-256-GCM from the GCM specification's test
// cases 13-16 (McGrew & Viega, as used by NIST's validation program).
#include "dfs/crypto/crypto.hpp"

#include <gtest/gtest.h>

#include "dfs/util/encoding.hpp"

namespace dfs::crypto {
namespace {

Bytes hex(std::string_view h) { return from_hex(h).value(); }

std::string sha256_hex(std::string_view s) { return to_hex(sha256(as_bytes(s))); }

TEST(Sha256, MatchesFips180Examples) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, IncrementalHashingOfAMillionAsMatchesTheNistVector) {
  Sha256 h;
  std::string thousand(1000, 'a');
  for (int i = 0; i < 1000; ++i) h.update(as_bytes(thousand));
  EXPECT_EQ(to_hex(h.finish()), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

struct GcmVector {
  const char* key;
  const char* iv;
  const char* plaintext;
  const char* aad;
  const char* ciphertext;
  const char* tag;
};

constexpr const char* kKey15 = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";

const GcmVector kGcmVectors[] = {
    {"0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000", "", "", "",
     "530f8afbc74536b9a963b4f1c4cb738b"},
    {"0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000",
     "00000000000000000000000000000000", "", "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
    {kKey15, "cafebabefacedbaddecaf888",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
     "",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
     "b094dac5d93471bdec1a502270e3cc6c"},
    {kKey15, "cafebabefacedbaddecaf888",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"},
};

SecretKey key_of(const char* h) {
  std::array<std::uint8_t, kKeySize> k{};
  Bytes raw = hex(h);
  std::copy(raw.begin(), raw.end(), k.begin());
  return SecretKey::from_bytes(k);
}

Nonce nonce_of(const char* h) {
  Nonce n{};
  Bytes raw = hex(h);
  std::copy(raw.begin(), raw.end(), n.begin());
  return n;
}

TEST(Aes256Gcm, SealMatchesTheGcmSpecTestCases13To16) {
  for (const GcmVector& v : kGcmVectors) {
    Bytes pt = hex(v.plaintext);
    Bytes out(pt.size() + kTagSize);
    aes256gcm_seal(key_of(v.key), nonce_of(v.iv), hex(v.aad), pt, out);
    EXPECT_EQ(to_hex(out), std::string(v.ciphertext) + v.tag);
  }
}

TEST(Aes256Gcm, OpenRecoversThePlaintextOfEachTestCase) {
  for (const GcmVector& v : kGcmVectors) {
    Bytes sealed = hex(std::string(v.ciphertext) + v.tag);
    Bytes out(sealed.size() - kTagSize);
    ASSERT_TRUE(aes256gcm_open(key_of(v.key), nonce_of(v.iv), hex(v.aad), sealed, out).ok());
    EXPECT_EQ(to_hex(out), v.plaintext);
  }
}

TEST(Aes256Gcm, OpenRejectsAFlippedBitAWrongKeyAndWrongAssociatedData) {
  const GcmVector& v = kGcmVectors[3];
  Bytes sealed = hex(std::string(v.ciphertext) + v.tag);
  Bytes out(sealed.size() - kTagSize);
  Bytes tampered = sealed;
  tampered[5] ^= 1;
  EXPECT_EQ(aes256gcm_open(key_of(v.key), nonce_of(v.iv), hex(v.aad), tampered, out).error().code, Errc::corrupt);
  EXPECT_EQ(std::count(out.begin(), out.end(), 0), static_cast<long>(out.size())) << "no unauthenticated plaintext leaks";
  EXPECT_FALSE(aes256gcm_open(SecretKey::generate(), nonce_of(v.iv), hex(v.aad), sealed, out).ok());
  EXPECT_FALSE(aes256gcm_open(key_of(v.key), nonce_of(v.iv), Bytes{}, sealed, out).ok());
  EXPECT_EQ(aes256gcm_open(key_of(v.key), nonce_of(v.iv), Bytes{}, Bytes(3), out).error().code, Errc::truncated);
}

TEST(SecretKey, GeneratedKeysDifferAndCompareByValue) {
  SecretKey a = SecretKey::generate();
  SecretKey b = SecretKey::generate();
  EXPECT_FALSE(a == b);
  SecretKey c = a;
  EXPECT_TRUE(a == c);
}

TEST(RandomBytes, FillsTheWholeBuffer) {
  Bytes a(64), b(64);
  random_bytes(a);
  random_bytes(b);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace dfs::crypto
