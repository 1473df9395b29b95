// Contact: how to reach a peer — its node ID and the "host:port" addresses
// it accepts connections at (one, or a few: a dual-stack peer advertises
// an IPv4 and an IPv6 address).
#pragma once

#include <string>
#include <vector>

#include "dfs/dht/node_id.hpp"

namespace dfs::dht {

// The longest address a contact may carry (wire decoders reject longer).
inline constexpr std::size_t kMaxAddressSize = 255;
// The most addresses one contact carries: `address` and up to this many
// minus one `more_addresses` (wire decoders reject more). Enough for both
// families and a spare of each; few enough that a hostile contact costs a
// dialer at most this many failed attempts.
inline constexpr std::size_t kMaxAddressesPerContact = 4;

struct Contact {
  // Zero when unknown: a bootstrap seed given by address only. The Dht
  // learns the real ID from the seed's first reply (Reply::from).
  NodeId id;
  // "host:port" where the peer accepts connections (its listen address, not
  // the ephemeral port of an incoming connection).
  std::string address;
  // Further addresses of the same peer, tried in turn when `address`
  // cannot be dialed (p2p::Dialer): a peer with only IPv6 reaches a
  // dual-stack peer whose first address is IPv4. Empty for most peers;
  // meaningless without `address`.
  std::vector<std::string> more_addresses{};  // (an initializer: Contact{id, address} stays warning-free)

  bool has_id() const { return !id.is_zero(); }
  // `address`, then `more_addresses`.
  std::vector<std::string> addresses() const {
    std::vector<std::string> all{address};
    all.insert(all.end(), more_addresses.begin(), more_addresses.end());
    return all;
  }
  bool operator==(const Contact&) const = default;
};

}  // namespace dfs::dht
