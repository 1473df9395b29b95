#include "hello.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace dfs::net::hello {

Bytes proof(ByteView key, const Exporter& exporter, const NodeIdBytes& sender, const NodeIdBytes& receiver) {
  Bytes message;
  message.reserve(exporter.size() + 2 * kNodeIdSize);
  message.insert(message.end(), exporter.begin(), exporter.end());
  message.insert(message.end(), sender.begin(), sender.end());
  message.insert(message.end(), receiver.begin(), receiver.end());
  Bytes mac(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  // An empty key is still a key to HMAC; the caller never passes one.
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), message.data(), message.size(), mac.data(), &len);
  mac.resize(len);
  return mac;
}

wire::Hello make(const std::optional<Bytes>& key, const Exporter& exporter, const NodeIdBytes& self,
                 const NodeIdBytes& peer) {
  wire::Hello hello;
  if (key) {
    Bytes mac = proof(*key, exporter, self, peer);
    hello.set_network_proof(mac.data(), mac.size());
  }
  return hello;
}

Status check(const std::optional<Bytes>& key, const Exporter& exporter, const NodeIdBytes& self,
             const NodeIdBytes& peer, const wire::Hello& received) {
  const std::string& got = received.network_proof();
  if (!key) {
    if (got.empty()) return {};
    return make_error(Errc::permission_denied,
                      "it belongs to a private network (it sent a network-key proof) and this node has no network key");
  }
  if (got.empty()) return make_error(Errc::permission_denied, "it does not hold this network's key (it sent no proof)");
  const Bytes want = proof(*key, exporter, peer, self);
  if (got.size() != want.size() || CRYPTO_memcmp(got.data(), want.data(), want.size()) != 0) {
    return make_error(Errc::permission_denied, "it does not hold this network's key (its proof does not match)");
  }
  return {};
}

}  // namespace dfs::net::hello
