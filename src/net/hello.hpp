// The network-key proof exchanged in Hello right after the TLS handshake
// (DESIGN.md §4, "--network-key"). Internal to src/net.
#pragma once

#include <optional>
#include <string>

#include "dfs/net/identity.hpp"
#include "tls.hpp"
#include "wire.pb.h"

namespace dfs::net::hello {

using Exporter = std::array<std::uint8_t, tls::kExporterSize>;

// HMAC-SHA256(key, exporter | sender | receiver).
Bytes proof(ByteView key, const Exporter& exporter, const NodeIdBytes& sender, const NodeIdBytes& receiver);

// Our Hello to `peer`: with a proof if we hold a network key, else empty.
wire::Hello make(const std::optional<Bytes>& key, const Exporter& exporter, const NodeIdBytes& self,
                 const NodeIdBytes& peer);

// Whether `peer`'s Hello lets it into our network. On refusal the error
// (permission_denied) says why, phrased to follow "refused: ".
Status check(const std::optional<Bytes>& key, const Exporter& exporter, const NodeIdBytes& self,
             const NodeIdBytes& peer, const wire::Hello& received);

}  // namespace dfs::net::hello
