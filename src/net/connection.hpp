// One TLS connection to a peer, either direction: set-up (connect, TLS
// handshake, node ID check, Hello), then a read loop feeding a
// FrameDecoder, a write queue, our requests awaiting answers (with their
// deadlines and the per-peer limits), and the peer's requests we are
// answering. Internal to src/net.
//
// Threads: every member is touched on the network thread only (the
// io_context's one thread); the transport posts to it. No lock.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "dfs/net/frame.hpp"
#include "dfs/net/tls_transport.hpp"
#include "dial_turns.hpp"
#include "hello.hpp"

namespace dfs::net::detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// A Hello is an Envelope with a sender and a 32-byte proof.
inline constexpr std::size_t kMaxHelloHeaderSize = 4096;
inline constexpr std::size_t kHelloReadBufferSize = 4096;
inline constexpr std::size_t kReadBufferSize = 64 * 1024;

// What every connection of one transport shares: the set-up, immutable
// once built, and a few counters (mutable; the comment says who may touch
// each).
struct Shared {
  Shared(asio::io_context& io, Identity identity, TlsTransportOptions options,
         std::unique_ptr<asio::ssl::context> ssl);

  asio::io_context& io;
  Identity identity;
  TlsTransportOptions options;
  std::unique_ptr<asio::ssl::context> ssl;

  // Answer payload bytes queued, and reserved for answers being produced,
  // on all connections (network thread only).
  mutable std::size_t queued_reply_bytes = 0;
  mutable std::size_t reserved_reply_bytes = 0;
  // What the limits refused (written on the network thread, read by any).
  mutable std::atomic<std::uint64_t> refused_connections{0};
  mutable std::atomic<std::uint64_t> busy_answers{0};
  mutable std::atomic<std::uint64_t> dropped_slow_readers{0};
  mutable std::atomic<std::uint64_t> dropped_stalled_frames{0};
  mutable std::atomic<std::uint64_t> dials_sent{0};  // TCP connects started, redials included

  // Through a rate limit (options.log_lines_per_minute): peers choose
  // how often we have something to say about them.
  void log(log::Level level, const std::string& line) const;
  std::unique_ptr<log::RateLimited> limited_log;
};

class Connection;

// The transport, as its connections see it (network thread only).
class ConnectionOwner {
 public:
  virtual void on_established(const std::shared_ptr<Connection>& conn) = 0;
  virtual void on_request(const std::shared_ptr<Connection>& conn, Frame request) = 0;
  virtual void on_closed(const std::shared_ptr<Connection>& conn) = 0;

 protected:
  ~ConnectionOwner() = default;
};

struct OutgoingRequest {
  wire::Envelope env;
  SharedBytes payload;
  std::optional<NodeIdBytes> expected;
  std::chrono::milliseconds timeout;
  ResponseCallback callback;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  enum class Direction { outgoing, incoming };

  // `address` is "host:port": the one to dial (outgoing) or the remote
  // endpoint (incoming). `expected` is the ID an outgoing peer must prove.
  Connection(std::shared_ptr<const Shared> shared, std::weak_ptr<ConnectionOwner> owner, tcp::socket socket,
             Direction direction, std::string address, std::optional<NodeIdBytes> expected,
             wire::Contact self_contact);

  void start();
  // Queues a request; it is sent once the connection is up and within the
  // per-peer limits, or fails (through its callback, posted) at its
  // deadline or when the connection closes.
  void submit(OutgoingRequest request);
  // Answers the peer's request `request_id` (ignored once closed).
  void respond(std::uint64_t request_id, Result<Reply> reply);
  // Fails every pending request with `code` and a message naming the peer
  // and `reason`, logs the reason at `level` and closes the socket (after
  // the frame being written, if any, so that a refusal's Hello gets out).
  void close(Errc code, const std::string& reason, log::Level level);
  // Closes the socket now, even if close() was letting a Hello get out.
  void close_socket();

  bool closed() const { return closed_; }
  bool established() const { return established_; }
  Direction direction() const { return direction_; }
  const PeerInfo& peer() const { return peer_; }
  // "peer 1a2b… at 127.0.0.1:4001" (or "peer at …" before its ID is known).
  std::string label() const;

 private:
  struct Pending {
    Bytes head;  // encoded frame prefix + header, ready to send
    SharedBytes payload;  // moved into the write queue once sent
    std::size_t payload_size = 0;
    std::optional<NodeIdBytes> expected;
    ResponseCallback callback;
    std::unique_ptr<asio::steady_timer> timer;
    std::chrono::milliseconds timeout{};
    Clock::time_point queued_at;
    bool sent = false;
  };
  struct OutFrame {
    Bytes head;
    SharedBytes payload;
    bool answers_incoming = false;
  };

  // Set-up (connection_setup.cpp).
  void resolve_and_connect();
  void connect_next();
  void on_connected(std::size_t attempt, const boost::system::error_code& ec);
  void handshake();
  void on_handshake_done();
  void on_hello(Frame frame);
  void arm_handshake_timer();

  // Steady state (connection.cpp).
  void read_more();
  void tune_read_wakeups();
  void on_read(std::size_t n, bool into_payload);
  void on_frame(Frame frame);
  bool check_sender(wire::Envelope& env);
  void on_response(Frame frame);
  void on_incoming_request(Frame frame);
  void pump();
  void send_request(Pending& p);
  void on_timeout(std::uint64_t id);
  bool heard_since(Clock::time_point t) const;
  void complete(Pending& p, Result<Message> result);
  void enqueue(OutFrame frame);
  void write_next();
  void arm_idle_timer();
  void on_idle_timer();
  bool busy() const;
  // Limits on what the peer makes us hold (TlsTransportOptions).
  bool reply_fits(std::size_t payload_size) const;
  bool dispatch_fits(const wire::Envelope& request) const;
  void dispatch(Frame request);
  void dispatch_parked();
  void release_reservation(std::uint64_t request_id);
  bool reading_should_pause() const;
  void on_reply_written(std::size_t payload_size);
  void arm_watchdog();
  void on_watchdog();

  std::shared_ptr<const Shared> shared_;
  std::weak_ptr<ConnectionOwner> owner_;
  asio::ssl::stream<tcp::socket> stream_;
  tcp::resolver resolver_;
  asio::steady_timer setup_timer_;  // handshake deadline, then idle checks
  // The dial (connect_next): where it may go, and the attempt in flight,
  // which a redial supersedes.
  std::vector<tcp::endpoint> endpoints_;
  DialTurns turns_{1};
  asio::steady_timer redial_timer_;
  Direction direction_;
  std::optional<NodeIdBytes> expected_;
  wire::Contact self_contact_;
  PeerInfo peer_;
  bool id_known_ = false;
  bool established_ = false;
  bool closed_ = false;
  std::optional<hello::Exporter> exporter_;

  FrameDecoder decoder_;
  std::size_t read_low_mark_ = 1;  // SO_RCVLOWAT now set (read_wakeups.hpp); 0: not tuned (a set failed)
  Bytes read_buf_;  // allocated once the peer is admitted (on_hello)
  Clock::time_point last_activity_ = Clock::now();
  // When the peer last showed it is there: its TCP accept, bytes from it,
  // or a frame of ours it was draining (heard_since).
  Clock::time_point last_heard_ = Clock::time_point::min();
  // Deadlines on the peer's pace (on_watchdog): when the frame it is
  // sending started, and when the frame we write last moved.
  asio::steady_timer watchdog_;
  Clock::time_point frame_started_ = Clock::now();
  Clock::time_point write_progress_ = Clock::now();
  // Answer payload bytes queued or being written to this peer; reading
  // pauses while they are at the cap and resumes as they drain.
  std::size_t queued_reply_bytes_ = 0;
  // Room kept for the answers of requests being handled (by request ID),
  // and requests waiting for room before they are handled.
  std::size_t reserved_reply_bytes_ = 0;
  std::multimap<std::uint64_t, std::size_t> reservations_;
  std::deque<Frame> parked_;
  bool reading_ = false;
  bool reading_paused_ = false;

  // Our requests: by ID; `waiting_` lists those not yet sent, in order.
  std::map<std::uint64_t, Pending> requests_;
  std::deque<std::uint64_t> waiting_;
  std::uint64_t next_request_id_ = 1;
  std::size_t in_flight_count_ = 0;
  std::size_t in_flight_bytes_ = 0;

  // The peer's requests handed to the handler and not yet fully answered.
  std::size_t incoming_in_flight_ = 0;

  // Frames without payload go first, so a Ping never queues behind chunk
  // transfers that have not started (one being written is not cut).
  std::deque<OutFrame> control_queue_;
  std::deque<OutFrame> bulk_queue_;
  OutFrame writing_frame_;
  bool writing_ = false;
};

std::string format_endpoint(const tcp::endpoint& endpoint);
// "get_chunk": the body's field name, for messages.
std::string body_name(const wire::Envelope& env);

}  // namespace dfs::net::detail
