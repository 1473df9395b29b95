// Request/response messaging between peers (DESIGN.md §4).
//
// Transport is the interface the DHT and the chunk service talk to; it has
// a TLS implementation (TlsTransport, tls_transport.hpp) and tests may
// provide a simulated one. A request carries an Envelope (the body says
// which RPC) and a raw payload (a sealed chunk or nothing); so does its
// response. Requests to one peer share a connection and are multiplexed by
// request ID: responses come back in whatever order the peer answers.
//
// Thread rules, for every implementation: request() and Responder may be
// used from any thread; every callback (ResponseCallback, RequestHandler)
// runs on the transport's network thread, never inline inside request().
// Callbacks must not block that thread: hand disk and CPU work to a worker
// pool and reply through the (copyable, thread-safe) Responder.
#pragma once

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dfs/net/identity.hpp"
#include "dfs/util/bytes.hpp"
#include "dfs/util/shared_bytes.hpp"
#include "dfs/util/log.hpp"
#include "wire.pb.h"

namespace dfs::net {

// Who a message came from.
struct PeerInfo {
  NodeIdBytes id{};            // proven by the peer in the TLS handshake
  std::string address;         // the connection's remote endpoint, "ip:port"
  std::string listen_address;  // where the peer says it accepts connections
                               // (its Envelope's sender.address); may be empty
  // Further addresses it says it accepts connections at (sender.
  // more_addresses): those that parse, at most kMaxAddressesPerPeer - 1,
  // none when listen_address is empty.
  std::vector<std::string> more_listen_addresses;
};

// A request or response as received. `env.sender().node_id()` always equals
// `from.id` (the transport drops the connection of a peer that claims
// another ID), so the DHT may put `env.sender()` in its routing table.
struct Message {
  wire::Envelope env;
  Bytes payload;
  PeerInfo from;
};

// A response to send: set only the body of `env`; the transport fills in
// request_id, is_response and sender.
struct Reply {
  wire::Envelope env;
  SharedBytes payload;
};

// Answers one incoming request, now or later, from any thread. Copies
// share one answer: the first reply() or fail() is sent, later ones are
// ignored. If every copy is destroyed without answering, the requester gets
// Errc::internal "the peer dropped the request" at once instead of waiting
// for its timeout.
class Responder {
 public:
  using SendFn = std::function<void(Result<Reply>)>;
  // For Transport implementations: `send` delivers the one answer.
  explicit Responder(SendFn send);

  void reply(wire::Envelope response, SharedBytes payload = {}) const;
  // The requester's callback receives `error` (code and message) as its
  // Result, prefixed with this peer's short ID.
  void fail(Error error) const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

using RequestHandler = std::function<void(const PeerInfo& from, Message request, Responder respond)>;
// Receives the response, or an Error: timed_out (no answer within the
// timeout), unavailable (cannot connect, connection lost, transport
// stopped, peer busy), permission_denied (the peer is not the node ID
// expected, or refused us for the network key), too_large (request above
// the frame limits), or the code the peer's handler failed with.
using ResponseCallback = std::function<void(Result<Message>)>;

class Transport {
 public:
  virtual ~Transport() = default;

  virtual const NodeIdBytes& self_id() const = 0;

  // Incoming requests go to `handler` (on the network thread). Set it before
  // the first connection can arrive; requests with no handler set, or with
  // a body this version does not know, are answered with an Error.
  virtual void set_request_handler(RequestHandler handler) = 0;

  // Sends `request` (only its body needs setting) with `payload` to the
  // peer at `address` ("host:port"). If `expected` is set, the peer must
  // prove that node ID or the request fails with permission_denied; if not
  // (a bootstrap address), whoever answers is accepted and
  // Message::from.id says who it was. `callback` runs exactly once, at the
  // latest `timeout` after this call. `payload` is shared, not copied:
  // one sealed chunk sent to several peers is one buffer, held until the
  // last of them is written.
  virtual void request(std::string address, std::optional<NodeIdBytes> expected, wire::Envelope request,
                       SharedBytes payload, std::chrono::milliseconds timeout, ResponseCallback callback) = 0;

  // As request(), but never over a connection the peer opened to us: over
  // one this node dialed to `address`, made if needed. An answer then
  // proves that the node `expected` accepts connections at `address`,
  // which is what the DHT checks before it routes to a peer. (A transport
  // with no such distinction just sends the request.)
  virtual void request_dialed(std::string address, NodeIdBytes expected, wire::Envelope request,
                              std::chrono::milliseconds timeout, ResponseCallback callback) {
    this->request(std::move(address), expected, std::move(request), {}, timeout, std::move(callback));
  }
};

// For threads other than the network thread (FUSE workers, the CLI): the
// same request, answered through a future. The future is ready within
// `timeout` while the network thread runs; never wait on it from the
// network thread itself (it would wait for itself).
std::future<Result<Message>> request_future(Transport& transport, std::string address,
                                            std::optional<NodeIdBytes> expected, wire::Envelope request,
                                            SharedBytes payload, std::chrono::milliseconds timeout);

// request_future and wait: returns the response, the request's error, or
// timed_out if no answer came by `timeout` plus a small grace (e.g. the
// network thread is stalled or stopped).
Result<Message> request_blocking(Transport& transport, std::string address, std::optional<NodeIdBytes> expected,
                                 wire::Envelope request, SharedBytes payload, std::chrono::milliseconds timeout);

}  // namespace dfs::net
