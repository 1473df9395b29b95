// Contact: how to reach a peer — its node ID and its "host:port" address.
#pragma once

#include <string>

#include "dfs/dht/node_id.hpp"

namespace dfs::dht {

// The longest address a contact may carry (wire decoders reject longer).
inline constexpr std::size_t kMaxAddressSize = 255;

struct Contact {
  // Zero when unknown: a bootstrap seed given by address only. The Dht
  // learns the real ID from the seed's first reply (Reply::from).
  NodeId id;
  // "host:port" where the peer accepts connections (its listen address, not
  // the ephemeral port of an incoming connection).
  std::string address;

  bool has_id() const { return !id.is_zero(); }
  bool operator==(const Contact&) const = default;
};

}  // namespace dfs::dht
