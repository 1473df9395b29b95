// Connection set-up: dial, TLS handshake, node ID check, Hello exchange.
#include <boost/asio/write.hpp>

#include <openssl/ssl.h>

#include "connection.hpp"
#include "dfs/net/address.hpp"
#include "dfs/util/encoding.hpp"

#include <algorithm>
#include <chrono>

namespace dfs::net::detail {

Shared::Shared(asio::io_context& io_, Identity identity_, TlsTransportOptions options_,
               std::unique_ptr<asio::ssl::context> ssl_)
    : io(io_), identity(std::move(identity_)), options(std::move(options_)), ssl(std::move(ssl_)) {
  limited_log = std::make_unique<log::RateLimited>(
      std::max<std::size_t>(options.log_lines_per_minute, 1), std::chrono::minutes(1),
      [sink = options.log](log::Level level, std::string_view line) {
        if (sink) {
          sink(level, line);
        } else {
          log::write(level, line);
        }
      });
}

void Shared::log(log::Level level, const std::string& line) const {
  // Lines nobody would see do not use up the allowance.
  if (!options.log && level < log::level()) return;
  limited_log->write(level, line);
}

std::string format_endpoint(const tcp::endpoint& endpoint) {
  const auto ip = endpoint.address();
  const std::string host = ip.is_v6() ? "[" + ip.to_string() + "]" : ip.to_string();
  return host + ":" + std::to_string(endpoint.port());
}

std::string body_name(const wire::Envelope& env) {
  const auto* field = wire::Envelope::descriptor()->FindFieldByNumber(static_cast<int>(env.body_case()));
  return field != nullptr ? field->name() : "empty message";
}

Connection::Connection(std::shared_ptr<const Shared> shared, std::weak_ptr<ConnectionOwner> owner,
                       tcp::socket socket, Direction direction, std::string address,
                       std::optional<NodeIdBytes> expected, wire::Contact self_contact)
    : shared_(std::move(shared)),
      owner_(std::move(owner)),
      stream_(std::move(socket), *shared_->ssl),
      resolver_(shared_->io),
      setup_timer_(shared_->io),
      redial_timer_(shared_->io),
      direction_(direction),
      expected_(expected),
      self_contact_(std::move(self_contact)),
      watchdog_(shared_->io) {
  peer_.address = std::move(address);
  // Until the peer is admitted it may send a Hello and nothing else.
  decoder_.set_limits(kMaxHelloHeaderSize, 0);
}

std::string Connection::label() const {
  if (!id_known_) return "peer at " + peer_.address;
  return "peer " + short_id(peer_.id) + " at " + peer_.address;
}

void Connection::start() {
  arm_handshake_timer();
  if (direction_ == Direction::outgoing) {
    resolve_and_connect();
  } else {
    handshake();
  }
}

void Connection::arm_handshake_timer() {
  setup_timer_.expires_after(shared_->options.handshake_timeout);
  setup_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->closed_ || self->established_) return;
    self->close(Errc::unavailable,
                "connection set-up did not finish within " +
                    std::to_string(self->shared_->options.handshake_timeout.count()) + " ms",
                log::Level::info);
  });
}

void Connection::resolve_and_connect() {
  auto parts = parse_host_port(peer_.address);
  if (!parts.ok()) {
    close(Errc::invalid_argument, parts.error().message, log::Level::info);
    return;
  }
  resolver_.async_resolve(
      parts->host, std::to_string(parts->port),
      [self = shared_from_this()](const boost::system::error_code& ec, const tcp::resolver::results_type& results) {
        if (self->closed_) return;
        if (ec || results.empty()) {
          self->close(Errc::unavailable, "cannot resolve: " + (ec ? ec.message() : "no address"), log::Level::info);
          return;
        }
        for (const auto& entry : results) self->endpoints_.push_back(entry.endpoint());
        self->turns_ = DialTurns(self->endpoints_.size());
        self->connect_next();
      });
}

// TCP resends an unanswered SYN only after 1, 3, 7, 15... s: a dial begun
// while the link was cut would not notice it is back until seconds after,
// and every request to the peer would wait for it. So an unanswered dial
// is sent again each second, in turn to each address of the name
// (DialTurns), until the set-up deadline (arm_handshake_timer) gives up.
constexpr std::chrono::seconds kRedialInterval{1};

void Connection::connect_next() {
  const std::size_t attempt = turns_.next();
  const tcp::endpoint& endpoint = endpoints_[turns_.index()];
  auto& socket = stream_.lowest_layer();
  boost::system::error_code ec;
  socket.close(ec);  // the superseded attempt's handler sees a stale attempt number
  socket.open(endpoint.protocol(), ec);
  if (ec) return close(Errc::unavailable, "cannot open a socket: " + ec.message(), log::Level::info);
  ++shared_->dials_sent;
  socket.async_connect(endpoint, [self = shared_from_this(), attempt](const boost::system::error_code& ec2) {
    self->on_connected(attempt, ec2);
  });
  redial_timer_.expires_after(kRedialInterval);
  redial_timer_.async_wait([self = shared_from_this(), attempt](const boost::system::error_code& ec2) {
    if (ec2 || self->closed_ || attempt != self->turns_.attempt()) return;
    self->turns_.unanswered();
    self->connect_next();
  });
}

void Connection::on_connected(std::size_t attempt, const boost::system::error_code& ec) {
  if (closed_ || attempt != turns_.attempt()) return;
  if (ec) {
    // Refused or unreachable: the next address at once; every address
    // refusing in a row is an answer, not a cut link.
    if (!turns_.refused()) return connect_next();
    return close(Errc::unavailable, "cannot connect: " + ec.message(), log::Level::info);
  }
  redial_timer_.cancel();
  last_heard_ = Clock::now();  // its SYN-ACK
  handshake();
}

void Connection::handshake() {
  boost::system::error_code ignored;
  // Frames are written whole; Nagle would only delay small RPCs.
  stream_.lowest_layer().set_option(tcp::no_delay(true), ignored);
  const auto type = direction_ == Direction::outgoing ? asio::ssl::stream_base::client : asio::ssl::stream_base::server;
  stream_.async_handshake(type, [self = shared_from_this()](const boost::system::error_code& ec) {
    if (self->closed_) return;
    if (ec) {
      self->close(Errc::unavailable, "TLS handshake failed: " + ec.message(), log::Level::info);
      return;
    }
    self->on_handshake_done();
  });
}

void Connection::on_handshake_done() {
  auto id = tls::peer_node_id(stream_.native_handle());
  if (!id.ok()) {
    close(Errc::permission_denied, "refused: " + id.error().message, log::Level::warn);
    return;
  }
  peer_.id = *id;
  id_known_ = true;
  if (expected_ && *expected_ != peer_.id) {
    close(Errc::permission_denied, "refused: it is not the expected node " + short_id(*expected_),
          log::Level::warn);
    return;
  }
  auto exporter = tls::exporter(stream_.native_handle());
  if (!exporter.ok()) {
    close(Errc::internal, exporter.error().message, log::Level::error);
    return;
  }
  exporter_ = *exporter;
  read_buf_.resize(kHelloReadBufferSize);
  // Both sides speak first, then read: neither waits for the other, and
  // each side can tell, and log, why it refuses the other.
  wire::Envelope env;
  *env.mutable_sender() = self_contact_;
  *env.mutable_hello() = hello::make(shared_->options.network_key, *exporter_, shared_->identity.node_id(), peer_.id);
  auto head = encode_frame_head(env, 0);
  if (!head.ok()) {
    close(Errc::internal, head.error().message, log::Level::error);
    return;
  }
  enqueue(OutFrame{std::move(*head), {}, false});
  read_more();
}

void Connection::on_hello(Frame frame) {
  const wire::Envelope& env = frame.envelope;
  if (env.body_case() != wire::Envelope::kHello || env.is_response() || env.request_id() != 0) {
    close(Errc::unavailable, "protocol error: sent " + body_name(env) + " before Hello", log::Level::warn);
    return;
  }
  Status admitted = hello::check(shared_->options.network_key, *exporter_, shared_->identity.node_id(), peer_.id,
                                 env.hello());
  if (!admitted.ok()) {
    close(Errc::permission_denied, "refused: " + admitted.error().message, log::Level::warn);
    return;
  }
  if (!check_sender(frame.envelope)) return;
  established_ = true;
  setup_timer_.cancel();
  // Buffers sized for chunks only now that the peer is admitted: a
  // stranger's half-open connections hold little. Asio turns on
  // SSL_MODE_RELEASE_BUFFERS, which suits those; from here OpenSSL would
  // free its record buffers each time they empty and allocate them again
  // for the next record, 64 times per 1 MiB chunk each way, so a
  // connection keeps its two buffers (about 34 KiB) instead.
  SSL_clear_mode(stream_.native_handle(), SSL_MODE_RELEASE_BUFFERS);
  read_buf_.resize(kReadBufferSize);
  decoder_.set_limits(kMaxHeaderSize, kMaxPayloadSize);
  arm_watchdog();
  if (auto owner = owner_.lock()) owner->on_established(shared_from_this());
  if (closed_) return;
  arm_idle_timer();
  pump();
}

}  // namespace dfs::net::detail
