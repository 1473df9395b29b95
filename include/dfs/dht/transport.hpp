// Transport: how a Dht sends an RPC to another peer. The DHT never touches a
// socket; net/ implements this over TLS connections and the simulator over
// an in-process event queue.
#pragma once

#include <functional>

#include "dfs/dht/contact.hpp"
#include "dfs/dht/messages.hpp"
#include "dfs/util/result.hpp"

namespace dfs::dht {

struct Reply {
  // The responder as the transport verified it: its ID proven in the
  // handshake (so a bootstrap seed's unknown ID is learnt here) and its
  // listen address.
  Contact from;
  Response body;
};

class Transport {
 public:
  virtual ~Transport() = default;

  // Sends `request` to `to` and calls `on_done` exactly once, on the loop
  // thread, with the reply or an error:
  //   - Errc::timed_out when no reply came within the transport's timeout
  //     (which should not exceed DhtConfig::request_timeout),
  //   - Errc::unavailable when `to` cannot be reached (refused, reset, or a
  //     handshake whose ID differs from a non-zero `to.id`).
  // When `to.id` is zero the transport accepts whatever ID the peer proves.
  // `on_done` should run on a later turn of the loop rather than inside
  // send(); the Dht copes with either.
  virtual void send(const Contact& to, Request request, std::function<void(Result<Reply>)> on_done) = 0;
};

}  // namespace dfs::dht
