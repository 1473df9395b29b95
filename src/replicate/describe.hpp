// How the replication engine names a peer in logs and errors. Internal.
#pragma once

#include <string>

#include "dfs/dht/contact.hpp"

namespace dfs::replicate {

// "3f2a9c01b2d4 at host:port".
inline std::string describe(const dht::Contact& peer) { return peer.id.short_hex() + " at " + peer.address; }

}  // namespace dfs::replicate
