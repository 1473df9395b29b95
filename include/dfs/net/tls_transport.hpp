// The real Transport: TCP + TLS 1.3 with mutual certificate authentication
// by node ID, an optional network key, pooled and multiplexed connections
// (DESIGN.md §4, §6).
//
// Threads: a TlsTransport belongs to one boost::asio::io_context, run by one
// thread (the network thread). Its state (the pool, the connections) is
// touched on that thread only, so it needs no lock. From other threads,
// use request(), stop() and Responder (they post to the network thread)
// and connection_count() and dialed_in() (atomics). create(), listen() and
// set_request_handler() are for set-up: call them before the io_context
// runs, or on its thread.
//
// Lifetime: destroy a TlsTransport after stop() when the io_context is not
// running (or on its thread). Handlers still queued in the io_context keep
// what they use alive and find the transport gone, so destruction order
// between the two is safe. A Responder posts to the io_context: do not keep
// one beyond the io_context's life.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dfs/net/transport.hpp"

namespace boost::asio {
class io_context;
}

namespace dfs::net {

// Where log lines go; the default writes through dfs::log. Tests swap it to
// check the reasons logged.
using LogSink = std::function<void(log::Level, std::string_view)>;

struct TlsTransportOptions {
  // A private network's shared secret (any non-empty bytes, e.g. the
  // contents of --network-key FILE). Peers must prove they hold the same
  // key right after the handshake; without it, only peers without a key
  // are accepted.
  std::optional<Bytes> network_key;

  // Per peer, our requests to it. Requests beyond either limit wait in a
  // queue, in order, and are sent when earlier ones complete; a waiting
  // request still fails with timed_out at its own deadline. Beyond
  // max_queued_requests a request fails at once with unavailable. A
  // request larger than max_bytes_in_flight is sent when nothing else is in
  // flight, so no request waits forever.
  std::size_t max_requests_in_flight = 64;
  std::size_t max_bytes_in_flight = 64u << 20;  // request payload bytes
  std::size_t max_queued_requests = 4096;

  // Per connection, the peer's requests to us being handled or whose
  // answer is still being written. Beyond it the peer gets an Error
  // (unavailable, "busy") at once; this bounds the memory one peer can tie
  // up (about this many chunk-sized answers).
  std::size_t max_incoming_in_flight = 64;

  // TCP connect + TLS handshake + Hello must finish within this.
  std::chrono::milliseconds handshake_timeout{10'000};
  // A connection with nothing in flight either way for this long closes.
  std::chrono::milliseconds idle_timeout{120'000};

  // What a stranger can make this node hold (DESIGN.md §4; every one is a
  // dfs node option, shown by dfs status).
  //
  // Connections others opened to us, all together and per remote IP, and
  // those of them still in set-up (TCP accepted, TLS handshake or Hello
  // not done). Beyond a cap a new connection is closed as soon as it is
  // accepted, before any TLS work. A connection in set-up holds no read
  // buffer and no frame beyond a small Hello. Peers on one host share an
  // IP (a loopback test network: 127.0.0.1), hence the room per address.
  std::size_t max_inbound_connections = 512;
  std::size_t max_inbound_per_address = 32;
  std::size_t max_handshakes = 64;
  std::size_t max_handshakes_per_address = 8;
  // Answer payloads (chunks) queued for writing or being read from disk
  // (a GET_CHUNK counts as kMaxPayloadSize until its answer is known),
  // per connection and for the whole node. A request that would exceed
  // its connection's cap waits until earlier answers are written, and the
  // connection is not read meanwhile (back-pressure: further requests wait
  // in TCP); one that would exceed the node's cap is answered
  // Error(unavailable, "busy"). So a peer that reads nothing ties up at
  // most its connection's cap, until the write timeout drops it.
  std::size_t max_reply_bytes_per_connection = 64u << 20;
  std::size_t max_reply_bytes_per_node = 128u << 20;
  // A frame being written that makes no progress for this long (the peer
  // reads nothing) closes the connection; so does a frame the peer started
  // and did not finish within frame_timeout.
  std::chrono::milliseconds write_timeout{30'000};
  std::chrono::milliseconds frame_timeout{60'000};
  // Lines logged about peers (refusals, protocol errors) per minute; the
  // rest are counted and reported as one line.
  std::size_t log_lines_per_minute = 60;

  // The listen address peers should use to reach us, sent in every
  // Envelope; empty = the address listen() bound.
  std::string advertised_address;
  // Further addresses of ours (another family), sent after it; at most
  // kMaxAddressesPerPeer - 1. Ignored without an advertised_address.
  std::vector<std::string> more_advertised_addresses;

  LogSink log;
};

class TlsTransport final : public Transport {
 public:
  // Fails if the TLS context cannot be built or the network key is empty.
  static Result<std::unique_ptr<TlsTransport>> create(boost::asio::io_context& io, Identity identity,
                                                      TlsTransportOptions options);
  ~TlsTransport() override;
  TlsTransport(const TlsTransport&) = delete;
  TlsTransport& operator=(const TlsTransport&) = delete;

  // Accepts connections on host:port (port 0 picks a free one); returns
  // the port bound. Call at most once.
  Result<std::uint16_t> listen(const std::string& host, std::uint16_t port);
  // "host:port" as sent to peers (advertised_address or what listen bound;
  // empty after listening on a wildcard with nothing advertised).
  std::string listen_address() const;

  const NodeIdBytes& self_id() const override;
  void set_request_handler(RequestHandler handler) override;
  void request(std::string address, std::optional<NodeIdBytes> expected, wire::Envelope request,
               SharedBytes payload, std::chrono::milliseconds timeout, ResponseCallback callback) override;
  void request_dialed(std::string address, NodeIdBytes expected, wire::Envelope request,
                      std::chrono::milliseconds timeout, ResponseCallback callback) override;

  // Closes the listener and every connection; every request pending or
  // made later fails with unavailable. Idempotent; from any thread
  // (returns before the work is done if called off the network thread).
  void stop();

  // Live connections (handshaking or established), readable from any
  // thread.
  std::size_t connection_count() const;
  // Connections other peers dialed to us that completed set-up (TLS and
  // the network key), ever: proof that our address is dialable
  // (p2p/reachability.hpp). From any thread.
  std::uint64_t dialed_in() const;
  // TCP connects this node started, ever, counting each resend of a dial
  // nobody answered (a dial is sent again every second until the
  // handshake timeout). From any thread.
  std::uint64_t dials_sent() const;

  // What the limits above are and what they have refused so far, for
  // dfs status: lines such as "inbound connections: 3 (cap 512, 32 per
  // address)". From any thread.
  std::vector<std::string> describe_limits() const;

  class Impl;

 private:
  explicit TlsTransport(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace dfs::net
