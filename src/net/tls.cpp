#include "tls.hpp"

#include <openssl/ssl.h>

#include "openssl_util.hpp"

namespace dfs::net::tls {

namespace {
constexpr char kExporterLabel[] = "EXPORTER-dfs-network-key";

// Any certificate passes here: a self-signed certificate never chains to
// a trusted root, and its issuer and dates carry no meaning in dfs. What
// matters is checked once the handshake is done: TLS has then proved that
// the peer holds the certificate's private key, and peer_node_id() hashes
// that key into the ID the caller compares with the one it expected.
int accept_any_certificate(int /*preverify_ok*/, X509_STORE_CTX* /*ctx*/) { return 1; }
}  // namespace

Result<std::unique_ptr<boost::asio::ssl::context>> make_context(const Identity& identity) {
  auto ctx = std::make_unique<boost::asio::ssl::context>(boost::asio::ssl::context::tls);
  SSL_CTX* native = ctx->native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(native, TLS1_3_VERSION) != 1) {
    return ossl::openssl_error(Errc::internal, "cannot restrict TLS to version 1.3");
  }
  if (SSL_CTX_use_certificate(native, identity.native_certificate()) != 1 ||
      SSL_CTX_use_PrivateKey(native, identity.native_key()) != 1 || SSL_CTX_check_private_key(native) != 1) {
    return ossl::openssl_error(Errc::internal, "cannot load the node's certificate into TLS");
  }
  SSL_CTX_set_verify(native, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any_certificate);
  SSL_CTX_set_num_tickets(native, 0);
  SSL_CTX_set_options(native, SSL_OP_NO_TICKET);
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
  return ctx;
}

Result<NodeIdBytes> peer_node_id(SSL* ssl) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr) return make_error(Errc::permission_denied, "it presented no certificate");
  EVP_PKEY* key = X509_get0_pubkey(cert);
  if (key == nullptr || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
    ERR_clear_error();
    return make_error(Errc::permission_denied, "its certificate key is not Ed25519");
  }
  int len = i2d_PUBKEY(key, nullptr);
  if (len <= 0) return ossl::openssl_error(Errc::permission_denied, "its certificate key cannot be encoded");
  Bytes der(static_cast<std::size_t>(len));
  std::uint8_t* p = der.data();
  i2d_PUBKEY(key, &p);
  return node_id_of_spki(der);
}

Result<std::array<std::uint8_t, kExporterSize>> exporter(SSL* ssl) {
  std::array<std::uint8_t, kExporterSize> out{};
  if (SSL_export_keying_material(ssl, out.data(), out.size(), kExporterLabel, sizeof kExporterLabel - 1, nullptr, 0,
                                 0) != 1) {
    return ossl::openssl_error(Errc::internal, "cannot export TLS keying material");
  }
  return out;
}

}  // namespace dfs::net::tls
