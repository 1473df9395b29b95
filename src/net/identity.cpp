#include "dfs/net/identity.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "dfs/crypto/crypto.hpp"
#include "dfs/util/encoding.hpp"
#include "dfs/util/file.hpp"
#include "dfs/util/log.hpp"
#include "openssl_util.hpp"

namespace dfs::net {

struct Identity::State {
  ossl::PKey key;
  ossl::X509Ptr cert;
  Bytes spki_der;
  NodeIdBytes id{};
};

namespace {

// The certificate's dates mean nothing to dfs (peers accept any self-signed
// certificate and check the key), but TLS libraries parse them: a day in
// the past absorbs clock skew, and a century ahead never expires in use.
constexpr long kCertBackdateSeconds = 24L * 3600;
constexpr long kCertLifetimeSeconds = 100L * 365 * 24 * 3600;

Result<ossl::PKey> generate_ed25519() {
  ossl::PKeyCtx ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw) != 1) {
    return ossl::openssl_error(Errc::internal, "cannot generate an Ed25519 key");
  }
  return ossl::PKey(raw);
}

Result<Bytes> spki_der_of(EVP_PKEY* key) {
  int len = i2d_PUBKEY(key, nullptr);
  if (len <= 0) return ossl::openssl_error(Errc::internal, "cannot encode the public key");
  Bytes der(static_cast<std::size_t>(len));
  std::uint8_t* p = der.data();
  if (i2d_PUBKEY(key, &p) != len) return ossl::openssl_error(Errc::internal, "cannot encode the public key");
  return der;
}

Status set_subject(X509* cert, const std::string& common_name) {
  X509_NAME* name = X509_get_subject_name(cert);
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0) != 1 ||
      X509_set_issuer_name(cert, name) != 1) {
    return ossl::openssl_error(Errc::internal, "cannot name the certificate");
  }
  return {};
}

Result<ossl::X509Ptr> self_signed_certificate(EVP_PKEY* key, const NodeIdBytes& id) {
  ossl::X509Ptr cert(X509_new());
  if (!cert) return ossl::openssl_error(Errc::internal, "cannot allocate a certificate");
  std::array<std::uint8_t, 16> serial{};
  crypto::random_bytes(serial);
  serial[0] &= 0x7f;  // a positive INTEGER
  BIGNUM* bn = BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr);
  bool ok = bn != nullptr && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get())) != nullptr;
  BN_free(bn);
  ok = ok && X509_set_version(cert.get(), 2) == 1 &&  // X.509 v3
       X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kCertBackdateSeconds) != nullptr &&
       X509_gmtime_adj(X509_getm_notAfter(cert.get()), kCertLifetimeSeconds) != nullptr &&
       X509_set_pubkey(cert.get(), key) == 1;
  if (!ok) return ossl::openssl_error(Errc::internal, "cannot fill the certificate");
  // A CN holds at most 64 characters: half the ID is enough for a human.
  DFS_TRY(set_subject(cert.get(), "dfs node " + to_hex(ByteView(id.data(), 16))));
  // Ed25519 signs the whole message itself: no separate digest.
  if (X509_sign(cert.get(), key, nullptr) <= 0) {
    return ossl::openssl_error(Errc::internal, "cannot sign the certificate");
  }
  return cert;
}

Result<std::string> key_to_pem(EVP_PKEY* key) {
  ossl::Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return ossl::openssl_error(Errc::internal, "cannot encode the private key");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

Result<ossl::PKey> key_from_pem(const std::string& pem, const std::string& path) {
  ossl::Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  ossl::PKey key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) return ossl::openssl_error(Errc::corrupt, path + " does not hold a PEM private key");
  if (EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) {
    return make_error(Errc::corrupt, path + " holds a private key that is not Ed25519");
  }
  return key;
}

std::string dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Writes `pem` to a fresh 0600 temporary file beside `path`, then link()s
// it into place: link fails with EEXIST instead of replacing, so when two
// processes race to create the key, both end up loading the same one.
// Returns false if another process won the race.
Result<bool> publish_key_file(const std::string& path, const std::string& pem) {
  std::string tmp = path + ".tmp-XXXXXX";
  int raw_fd = ::mkstemp(tmp.data());  // creates with mode 0600
  if (raw_fd < 0) return errno_error("cannot create a temporary file beside " + path);
  UniqueFd fd(raw_fd);
  Status written = write_full(fd.get(), as_bytes(pem), tmp);
  if (written.ok()) written = fsync_fd(fd.get(), tmp);
  bool won = false;
  if (written.ok()) {
    if (::link(tmp.c_str(), path.c_str()) == 0) {
      won = true;
    } else if (errno != EEXIST) {
      written = errno_error("cannot create " + path);
    }
  }
  ::unlink(tmp.c_str());
  DFS_TRY(written);
  DFS_TRY(fsync_dir(dir_of(path)));
  return won;
}

Result<std::string> read_small_file(const std::string& path) {
  DFS_ASSIGN_OR_RETURN(UniqueFd fd, open_file(path, O_RDONLY));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errno_error("cannot stat " + path);
  if ((st.st_mode & 077) != 0) {
    log::warn(path + " (the node's private key) is readable by others; run chmod 600 on it");
  }
  constexpr std::size_t kMaxKeyFile = 64 * 1024;
  std::string text(kMaxKeyFile, '\0');
  DFS_ASSIGN_OR_RETURN(std::size_t n,
                       read_full(fd.get(), {reinterpret_cast<std::uint8_t*>(text.data()), text.size()}, path));
  if (n == kMaxKeyFile) return make_error(Errc::too_large, path + " is too large to be a key file");
  text.resize(n);
  return text;
}

}  // namespace

std::string short_id(const NodeIdBytes& id) {
  return to_hex(ByteView(id.data(), 4)) + "\u2026";
}

NodeIdBytes node_id_of_spki(ByteView der_spki) { return crypto::sha256(der_spki); }

Result<Identity> Identity::from_key(evp_pkey_st* raw_key) {
  auto state = std::make_shared<State>();
  state->key.reset(raw_key);
  DFS_ASSIGN_OR_RETURN(state->spki_der, spki_der_of(state->key.get()));
  state->id = node_id_of_spki(state->spki_der);
  DFS_ASSIGN_OR_RETURN(state->cert, self_signed_certificate(state->key.get(), state->id));
  return Identity(std::move(state));
}

Result<Identity> Identity::generate() {
  DFS_ASSIGN_OR_RETURN(ossl::PKey key, generate_ed25519());
  return from_key(key.release());
}

Result<Identity> Identity::load_or_create(const std::string& path) {
  if (::access(path.c_str(), F_OK) != 0) {
    if (errno != ENOENT) return errno_error("cannot access " + path);
    DFS_ASSIGN_OR_RETURN(ossl::PKey key, generate_ed25519());
    DFS_ASSIGN_OR_RETURN(std::string pem, key_to_pem(key.get()));
    auto created = publish_key_file(path, pem);
    OPENSSL_cleanse(pem.data(), pem.size());
    if (!created.ok()) return created.take_error();
    if (*created) return from_key(key.release());
    // Another process created it first: fall through and use theirs.
  }
  DFS_ASSIGN_OR_RETURN(std::string pem, read_small_file(path));
  auto key = key_from_pem(pem, path);
  OPENSSL_cleanse(pem.data(), pem.size());  // the private key, in PEM
  if (!key.ok()) return key.take_error();
  return from_key(key->release());
}

const NodeIdBytes& Identity::node_id() const { return state_->id; }
ByteView Identity::public_key_der() const { return state_->spki_der; }
evp_pkey_st* Identity::native_key() const { return state_->key.get(); }
x509_st* Identity::native_certificate() const { return state_->cert.get(); }

}  // namespace dfs::net
