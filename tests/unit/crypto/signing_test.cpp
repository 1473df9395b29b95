// Ed25519 against RFC 8032 §7.1 (tests 1 and 2), HKDF's separation of
// purposes, and the recovery key's printable and file forms.
#include "dfs/crypto/signing.hpp"

#include <gtest/gtest.h>

#include "dfs/crypto/recovery_key.hpp"
#include "dfs/util/encoding.hpp"

namespace dfs::crypto {
namespace {

SecretKey key_of(std::string_view h) {
  std::array<std::uint8_t, kKeySize> raw{};
  const Bytes b = from_hex(h).value();
  std::copy(b.begin(), b.end(), raw.begin());
  return SecretKey::from_bytes(raw);
}

TEST(Ed25519, SignsLikeRfc8032Test1) {
  const auto key = SigningKey::from_seed(key_of("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
  EXPECT_EQ(to_hex(key.public_key()), "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  const Signature sig = key.sign({});
  EXPECT_EQ(to_hex(sig),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe2465"
            "5141438e7a100b");
  EXPECT_TRUE(verify_signature(key.public_key(), {}, sig));
}

TEST(Ed25519, SignsLikeRfc8032Test2) {
  const auto key = SigningKey::from_seed(key_of("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"));
  EXPECT_EQ(to_hex(key.public_key()), "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
  const Bytes message{0x72};
  EXPECT_EQ(to_hex(key.sign(message)),
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb0"
            "0d291612bb0c00");
}

TEST(Ed25519, RejectsAChangedMessageSignatureOrKey) {
  const auto key = SigningKey::from_seed(SecretKey::generate());
  const Bytes message{1, 2, 3};
  Signature sig = key.sign(message);
  EXPECT_FALSE(verify_signature(key.public_key(), Bytes{1, 2, 4}, sig));
  const auto other = SigningKey::from_seed(SecretKey::generate());
  EXPECT_FALSE(verify_signature(other.public_key(), message, sig));
  sig[5] ^= 1;
  EXPECT_FALSE(verify_signature(key.public_key(), message, sig));
  PublicKey garbage{};
  garbage.fill(0xff);
  EXPECT_FALSE(verify_signature(garbage, message, key.sign(message)));
}

TEST(DeriveKey, GivesOneKeyPerPurposeAndTheSameKeyEachTime) {
  const SecretKey secret = SecretKey::generate();
  EXPECT_EQ(derive_key(secret, "a"), derive_key(secret, "a"));
  EXPECT_FALSE(derive_key(secret, "a") == derive_key(secret, "b"));
  EXPECT_FALSE(derive_key(secret, "a") == secret);
}

TEST(RecoveryKey, PrintableFormRoundTripsWhateverTheCaseSpacingAndDashes) {
  const RecoveryKey key = RecoveryKey::generate();
  const std::string text = key.to_text();
  EXPECT_TRUE(text.starts_with("dfsr1-"));
  EXPECT_EQ(RecoveryKey::parse(text)->secret(), key.secret());
  std::string sloppy;
  for (char c : text) {
    if (c == '-') {
      sloppy += "  \n";
    } else {
      sloppy += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
  }
  EXPECT_EQ(RecoveryKey::parse(sloppy)->secret(), key.secret());
  EXPECT_EQ(RecoveryKey::parse_file(key.to_file_text())->secret(), key.secret());
}

TEST(RecoveryKey, AMistypedCharacterFailsTheChecksum) {
  std::string text = RecoveryKey::generate().to_text();
  char& c = text[10];
  c = c == 'a' ? 'b' : 'a';
  auto parsed = RecoveryKey::parse(text);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code, Errc::corrupt);
}

TEST(RecoveryKey, RejectsOtherTextWithAMessage) {
  EXPECT_EQ(RecoveryKey::parse("dfs1fabc").error().code, Errc::invalid_argument);
  EXPECT_EQ(RecoveryKey::parse("dfsr1-abc").error().code, Errc::invalid_argument);
  EXPECT_EQ(RecoveryKey::parse(std::string(100000, 'a')).error().code, Errc::invalid_argument);
  EXPECT_EQ(RecoveryKey::parse_file("# only a comment\n").error().code, Errc::invalid_argument);
}

TEST(RecoveryKey, DerivedKeysDifferFromEachOtherAndFromTheSecret) {
  const RecoveryKey key = RecoveryKey::generate();
  EXPECT_FALSE(key.pointer_key() == key.secret());
  EXPECT_EQ(key.signing_key().public_key(), RecoveryKey::from_secret(key.secret()).signing_key().public_key());
}

}  // namespace
}  // namespace dfs::crypto
