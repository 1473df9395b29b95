#include "dfs/net/identity.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "../../common/temp_dir.hpp"

namespace dfs::net {
namespace {

namespace fs = std::filesystem;

using dfs::testing::TempDir;

// The ID computed independently of dfs: SHA-256 over i2d_PUBKEY of the key
// read back from the PEM file.
NodeIdBytes id_from_pem_file(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  EXPECT_NE(f, nullptr);
  EVP_PKEY* key = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  EXPECT_NE(key, nullptr);
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key, &der);
  NodeIdBytes id{};
  SHA256(der, static_cast<std::size_t>(len), id.data());
  OPENSSL_free(der);
  EVP_PKEY_free(key);
  return id;
}

TEST(Identity, IsCreatedInAPrivateFileWhenAbsent) {
  TempDir dir;
  const std::string path = dir.file("node.key");
  auto identity = Identity::load_or_create(path);
  ASSERT_TRUE(identity.ok()) << identity.error().to_string();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // No temporary file is left beside it.
  EXPECT_EQ(std::distance(fs::directory_iterator(fs::path(path).parent_path()), fs::directory_iterator{}), 1);
}

TEST(Identity, ReloadingTheSameFileGivesTheSameId) {
  TempDir dir;
  const std::string path = dir.file("node.key");
  auto first = Identity::load_or_create(path);
  auto second = Identity::load_or_create(path);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->node_id(), second->node_id());
}

TEST(Identity, NodeIdIsTheSha256OfTheDerSubjectPublicKeyInfo) {
  TempDir dir;
  const std::string path = dir.file("node.key");
  auto identity = Identity::load_or_create(path);
  ASSERT_TRUE(identity.ok());
  EXPECT_EQ(identity->node_id(), id_from_pem_file(path));
  EXPECT_EQ(identity->node_id(), node_id_of_spki(identity->public_key_der()));
}

TEST(Identity, CertificateCarriesTheIdentityKeyAndIsSelfSigned) {
  auto identity = Identity::generate();
  ASSERT_TRUE(identity.ok());
  X509* cert = identity->native_certificate();
  EXPECT_EQ(EVP_PKEY_eq(X509_get0_pubkey(cert), identity->native_key()), 1);
  EXPECT_EQ(X509_verify(cert, identity->native_key()), 1);
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)), 0);
}

TEST(Identity, TwoGeneratedIdentitiesHaveDifferentIds) {
  auto a = Identity::generate();
  auto b = Identity::generate();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->node_id(), b->node_id());
}

TEST(Identity, AFileThatIsNotAPrivateKeyIsRefused) {
  TempDir dir;
  const std::string path = dir.file("node.key");
  std::ofstream(path) << "not a key\n";
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
  auto identity = Identity::load_or_create(path);
  ASSERT_FALSE(identity.ok());
  EXPECT_EQ(identity.error().code, Errc::corrupt);
  EXPECT_NE(identity.error().message.find(path), std::string::npos);
}

TEST(Identity, ANonEd25519KeyIsRefused) {
  TempDir dir;
  const std::string path = dir.file("node.key");
  EVP_PKEY* rsa = EVP_RSA_gen(1024);
  ASSERT_NE(rsa, nullptr);
  FILE* f = std::fopen(path.c_str(), "w");
  PEM_write_PrivateKey(f, rsa, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  EVP_PKEY_free(rsa);
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
  auto identity = Identity::load_or_create(path);
  ASSERT_FALSE(identity.ok());
  EXPECT_NE(identity.error().message.find("not Ed25519"), std::string::npos);
}

TEST(Identity, ShortIdIsTheFirstFourBytesInHex) {
  NodeIdBytes id{};
  id[0] = 0x1a;
  id[1] = 0x2b;
  id[2] = 0x3c;
  id[3] = 0x4d;
  EXPECT_EQ(short_id(id), "1a2b3c4d\u2026");
}

}  // namespace
}  // namespace dfs::net
