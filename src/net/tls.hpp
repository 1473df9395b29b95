// The TLS side of a connection (DESIGN.md §4): one SSL context for both
// directions, checks on the peer after the handshake, and the TLS exporter
// the network-key proof is bound to. Internal to src/net (and its tests).
#pragma once

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>

#include "dfs/net/identity.hpp"

using SSL = struct ssl_st;

namespace dfs::net::tls {

// TLS 1.3 only, TLS_AES_128_GCM_SHA256 preferred (tls.cpp says why); presents `identity`'s certificate; demands the peer's
// (mutual authentication); accepts any certificate during the handshake,
// because trust is the node ID, checked after it by peer_node_id(). No
// session tickets: resumption would skip the certificate exchange that
// proves the peer's ID.
Result<std::unique_ptr<boost::asio::ssl::context>> make_context(const Identity& identity);

// The node ID the peer proved in the handshake: SHA-256 of its certificate's
// SubjectPublicKeyInfo. Fails (permission_denied) if it showed no
// certificate or a key that is not Ed25519.
Result<NodeIdBytes> peer_node_id(SSL* ssl);

inline constexpr std::size_t kExporterSize = 32;
// RFC 8446 §7.5 keying material exported under dfs's label: equal on both
// ends of one TLS session, unknowable to anyone else.
Result<std::array<std::uint8_t, kExporterSize>> exporter(SSL* ssl);

}  // namespace dfs::net::tls
