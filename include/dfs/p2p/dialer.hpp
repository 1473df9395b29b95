// Dialer: requests to a peer known by its dht::Contact, at each of its
// addresses in turn (Contact::addresses()), so that a peer with one
// address family reaches a dual-stack peer whose first address is of the
// other family. Both adapters of net_adapters.hpp send through one Dialer.
//
// Threads: the network thread only, like the adapters; its callbacks run
// there too (net::Transport's rule).
//
// Lifetime: make it with std::make_shared and keep the net::Transport
// alive as long as it lives. Callbacks of requests in flight hold a weak
// pointer: once the Dialer is gone they try no further address.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "dfs/dht/contact.hpp"
#include "dfs/net/transport.hpp"

namespace dfs::p2p {

class Dialer : public std::enable_shared_from_this<Dialer> {
 public:
  explicit Dialer(net::Transport& net) : net_(net) {}

  // net::Transport::request to `to` (its ID expected if it has one): to
  // its first address, then, if that fails as unreachable (unavailable:
  // cannot connect, connection lost; permission_denied: another node
  // there), to the next, with what is left of `timeout`; `done` gets the
  // first answer or the last failure. The address that answered is tried
  // first the next time (remembered for up to kMaxRemembered peers), so a
  // dual-stack peer costs a failed dial once, not once per request. An
  // address that swallows packets (no answer, no refusal) costs the whole
  // timeout: such a request is not tried elsewhere.
  void request(const dht::Contact& to, wire::Envelope request, SharedBytes payload,
               std::chrono::milliseconds timeout, net::ResponseCallback done);
  // The same over connections this node dials (net::Transport::
  // request_dialed): an answer proves the peer accepts connections at the
  // address that answered. `to` must have an ID.
  void request_dialed(const dht::Contact& to, wire::Envelope request, std::chrono::milliseconds timeout,
                      net::ResponseCallback done);

  // The address of `id` that answered last, if it is not its first one.
  std::optional<std::string> preferred(const dht::NodeId& id) const;

  static constexpr std::size_t kMaxRemembered = 4096;

 private:
  struct Attempt;
  void start(const dht::Contact& to, std::shared_ptr<Attempt> attempt);
  void try_next(const std::shared_ptr<Attempt>& attempt);
  void remember(const dht::Contact& to, const std::string& address);

  net::Transport& net_;
  // Peers whose working address is not their first; bounded (cleared
  // when full: the cost is one failed dial each).
  std::unordered_map<dht::NodeId, std::string> preferred_;
};

}  // namespace dfs::p2p
