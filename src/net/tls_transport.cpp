// TlsTransport: the listener, the connection pool and request routing.
#include "dfs/net/tls_transport.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>

#include <set>

#include "connection.hpp"
#include "dfs/net/address.hpp"

namespace dfs::net {

using detail::Connection;
using detail::tcp;
namespace asio = boost::asio;

// Network thread only, except `live_count_` (atomic, read by any thread).
class TlsTransport::Impl final : public detail::ConnectionOwner, public std::enable_shared_from_this<Impl> {
 public:
  explicit Impl(std::shared_ptr<detail::Shared> shared)
      : shared_(std::move(shared)), io_(shared_->io), acceptor_(io_), accept_retry_(io_) {
    self_contact_.set_node_id(shared_->identity.node_id().data(), kNodeIdSize);
    self_contact_.set_address(shared_->options.advertised_address);
    if (!self_contact_.address().empty()) {
      for (const auto& more : shared_->options.more_advertised_addresses) self_contact_.add_more_addresses(more);
    }
  }

  Result<std::uint16_t> listen(const std::string& host, std::uint16_t port);
  void request(std::string address, std::optional<NodeIdBytes> expected, detail::OutgoingRequest req,
               bool dialed_only);
  void stop();

  void on_established(const std::shared_ptr<Connection>& conn) override;
  void on_request(const std::shared_ptr<Connection>& conn, Frame request) override;
  void on_closed(const std::shared_ptr<Connection>& conn) override;

  std::shared_ptr<detail::Shared> shared_;
  asio::io_context& io_;
  RequestHandler handler_;
  wire::Contact self_contact_;
  std::atomic<std::size_t> live_count_{0};
  std::atomic<std::size_t> inbound_count_{0};
  std::atomic<std::size_t> handshake_count_{0};
  std::atomic<std::uint64_t> dialed_in_{0};  // incoming connections established, ever

 private:
  // Inbound connections of one remote IP: all, and those in set-up.
  struct Inbound {
    std::size_t connections = 0;
    std::size_t handshakes = 0;
  };
  void accept_next();
  void on_accepted(tcp::socket socket);
  bool admit(const std::string& ip);
  std::shared_ptr<Connection> connection_for(const std::string& address, const std::optional<NodeIdBytes>& expected,
                                             bool dialed_only);
  void fail_now(ResponseCallback cb, Error error);

  tcp::acceptor acceptor_;
  asio::steady_timer accept_retry_;
  bool stopped_ = false;
  // Every live connection (ownership), and two ways to find one for a
  // request: by the address we dialed (outgoing only: an incoming
  // connection's remote port is not where the peer listens) and by the
  // peer's proven ID (either direction, once established).
  std::set<std::shared_ptr<Connection>> live_;
  std::map<std::string, std::shared_ptr<Connection>> by_address_;
  std::map<NodeIdBytes, std::shared_ptr<Connection>> by_id_;
  // Inbound connections by remote IP (only IPs with at least one).
  std::map<std::string, Inbound> inbound_;
};

namespace {
std::string ip_of(const std::string& address) {
  auto parts = parse_host_port(address);
  return parts.ok() ? parts->host : address;
}
}  // namespace

Result<std::uint16_t> TlsTransport::Impl::listen(const std::string& host, std::uint16_t port) {
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(host, ec);
  if (ec) {
    // A host name: listen on the first address it resolves to.
    tcp::resolver resolver(io_);
    const auto found = resolver.resolve(host, std::to_string(port), ec);
    if (ec || found.empty()) {
      return make_error(Errc::invalid_argument, "cannot listen on \"" + host + "\": " +
                                                    (ec ? ec.message() : std::string("no address")));
    }
    ip = found.begin()->endpoint().address();
  }
  const tcp::endpoint endpoint(ip, port);
  const std::string where = detail::format_endpoint(endpoint);
  if (acceptor_.open(endpoint.protocol(), ec); ec) {
    return make_error(Errc::io_error, "cannot open " + where + ": " + ec.message());
  }
  // "[::]" takes both families (IPv4 arrives as ::ffff:a.b.c.d), whatever
  // the system's default for IPV6_V6ONLY.
  if (ip.is_v6() && ip.is_unspecified()) acceptor_.set_option(asio::ip::v6_only(false), ec);
  acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (acceptor_.bind(endpoint, ec); ec) {
    return make_error(Errc::unavailable, "cannot bind " + where + ": " + ec.message());
  }
  if (acceptor_.listen(asio::socket_base::max_listen_connections, ec); ec) {
    return make_error(Errc::unavailable, "cannot listen on " + where + ": " + ec.message());
  }
  const auto bound = acceptor_.local_endpoint(ec);
  // A wildcard is no address to dial: with none advertised, peers learn
  // none, and do not hand this one out as a contact.
  if (self_contact_.address().empty() && !ip.is_unspecified()) {
    self_contact_.set_address(detail::format_endpoint(bound));
  }
  accept_next();
  return bound.port();
}

void TlsTransport::Impl::accept_next() {
  acceptor_.async_accept([self = shared_from_this()](const boost::system::error_code& ec, tcp::socket socket) {
    if (self->stopped_ || ec == asio::error::operation_aborted) return;
    if (ec) {
      // Out of descriptors and the like: wait a little rather than spin.
      self->shared_->log(log::Level::warn, "accepting a connection failed: " + ec.message());
      self->accept_retry_.expires_after(std::chrono::milliseconds(100));
      self->accept_retry_.async_wait([self](const boost::system::error_code& e) {
        if (!e && !self->stopped_) self->accept_next();
      });
      return;
    }
    self->on_accepted(std::move(socket));
    self->accept_next();
  });
}

// Whether a new inbound connection from `ip` fits the caps; counts it if so.
bool TlsTransport::Impl::admit(const std::string& ip) {
  const auto& opt = shared_->options;
  Inbound& from = inbound_[ip];
  const bool fits = inbound_count_ < opt.max_inbound_connections && handshake_count_ < opt.max_handshakes &&
                    from.connections < opt.max_inbound_per_address &&
                    from.handshakes < opt.max_handshakes_per_address;
  if (!fits) {
    if (from.connections == 0) inbound_.erase(ip);
    return false;
  }
  ++from.connections;
  ++from.handshakes;
  ++inbound_count_;
  ++handshake_count_;
  return true;
}

void TlsTransport::Impl::on_accepted(tcp::socket socket) {
  boost::system::error_code ignored;
  const auto endpoint = socket.remote_endpoint(ignored);
  const std::string remote = detail::format_endpoint(endpoint);
  if (!admit(endpoint.address().to_string())) {
    // Closed before any TLS work or buffer: a flood costs an accept each.
    ++shared_->refused_connections;
    shared_->log(log::Level::info, "connection from " + remote + " refused: too many connections (in set-up) " +
                                       "from all peers or from that address");
    socket.close(ignored);
    return;
  }
  auto conn = std::make_shared<Connection>(shared_, shared_from_this(), std::move(socket),
                                           Connection::Direction::incoming, remote, std::nullopt, self_contact_);
  live_.insert(conn);
  live_count_ = live_.size();
  conn->start();
}

void TlsTransport::Impl::fail_now(ResponseCallback cb, Error error) {
  asio::post(io_, [cb = std::move(cb), e = std::move(error)]() mutable { cb(std::move(e)); });
}

// The pooled connection for a request: an established one to the expected
// node (whichever side dialed, unless `dialed_only`), else the one dialed
// to this address (it may still be setting up; requests queue in it),
// else a new one.
std::shared_ptr<Connection> TlsTransport::Impl::connection_for(const std::string& address,
                                                               const std::optional<NodeIdBytes>& expected,
                                                               bool dialed_only) {
  if (expected && !dialed_only) {
    if (auto it = by_id_.find(*expected); it != by_id_.end()) return it->second;
  }
  if (auto it = by_address_.find(address); it != by_address_.end()) return it->second;
  auto conn = std::make_shared<Connection>(shared_, shared_from_this(), tcp::socket(io_),
                                           Connection::Direction::outgoing, address, expected, self_contact_);
  live_.insert(conn);
  by_address_[address] = conn;
  live_count_ = live_.size();
  conn->start();
  return conn;
}

void TlsTransport::Impl::request(std::string address, std::optional<NodeIdBytes> expected,
                                 detail::OutgoingRequest req, bool dialed_only) {
  if (stopped_) {
    fail_now(std::move(req.callback), make_error(Errc::unavailable, "the transport is stopped"));
    return;
  }
  if (auto parts = parse_host_port(address); !parts.ok()) {
    fail_now(std::move(req.callback), parts.take_error());
    return;
  }
  auto conn = connection_for(address, expected, dialed_only);
  conn->submit(std::move(req));
}

void TlsTransport::Impl::stop() {
  if (stopped_) return;
  stopped_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  accept_retry_.cancel();
  const auto conns = live_;  // close() calls back into on_closed
  for (const auto& conn : conns) {
    conn->close(Errc::unavailable, "closed: the transport is stopping", log::Level::debug);
    conn->close_socket();
  }
}

void TlsTransport::Impl::on_established(const std::shared_ptr<Connection>& conn) {
  if (conn->direction() == Connection::Direction::incoming) {
    --inbound_[ip_of(conn->peer().address)].handshakes;
    --handshake_count_;
    ++dialed_in_;
  }
  by_id_[conn->peer().id] = conn;  // the newest connection to a peer wins
  shared_->log(log::Level::debug, conn->label() + " connected");
}

void TlsTransport::Impl::on_closed(const std::shared_ptr<Connection>& conn) {
  if (conn->direction() == Connection::Direction::incoming) {
    const std::string ip = ip_of(conn->peer().address);
    Inbound& from = inbound_[ip];
    --from.connections;
    --inbound_count_;
    if (!conn->established()) {
      --from.handshakes;
      --handshake_count_;
    }
    if (from.connections == 0) inbound_.erase(ip);
  }
  live_.erase(conn);
  live_count_ = live_.size();
  if (auto it = by_address_.find(conn->peer().address); it != by_address_.end() && it->second == conn) {
    by_address_.erase(it);
  }
  if (auto it = by_id_.find(conn->peer().id); it != by_id_.end() && it->second == conn) by_id_.erase(it);
}

void TlsTransport::Impl::on_request(const std::shared_ptr<Connection>& conn, Frame request) {
  const std::uint64_t id = request.envelope.request_id();
  if (!handler_) {
    conn->respond(id, make_error(Errc::unavailable, "this peer serves no requests"));
    return;
  }
  // The Responder may be used from any thread and outlive the connection:
  // it posts to the network thread and finds the connection, if still there.
  std::weak_ptr<Connection> weak = conn;
  Responder respond([weak, id, &io = io_](Result<Reply> reply) {
    asio::post(io, [weak, id, r = std::move(reply)]() mutable {
      if (auto c = weak.lock()) c->respond(id, std::move(r));
    });
  });
  Message message{std::move(request.envelope), std::move(request.payload), conn->peer()};
  handler_(conn->peer(), std::move(message), std::move(respond));
}

// --- TlsTransport -------------------------------------------------------------

Result<std::unique_ptr<TlsTransport>> TlsTransport::create(asio::io_context& io, Identity identity,
                                                           TlsTransportOptions options) {
  if (options.network_key && options.network_key->empty()) {
    return make_error(Errc::invalid_argument, "the network key is empty");
  }
  DFS_ASSIGN_OR_RETURN(auto ssl, tls::make_context(identity));
  auto shared = std::make_shared<detail::Shared>(io, std::move(identity), std::move(options), std::move(ssl));
  return std::unique_ptr<TlsTransport>(new TlsTransport(std::make_shared<Impl>(std::move(shared))));
}

TlsTransport::TlsTransport(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

// See the header: the io_context is not running now, or this is its thread.
TlsTransport::~TlsTransport() { impl_->stop(); }

Result<std::uint16_t> TlsTransport::listen(const std::string& host, std::uint16_t port) {
  return impl_->listen(host, port);
}

std::string TlsTransport::listen_address() const { return impl_->self_contact_.address(); }
const NodeIdBytes& TlsTransport::self_id() const { return impl_->shared_->identity.node_id(); }
void TlsTransport::set_request_handler(RequestHandler handler) { impl_->handler_ = std::move(handler); }
std::size_t TlsTransport::connection_count() const { return impl_->live_count_.load(); }

std::uint64_t TlsTransport::dialed_in() const { return impl_->dialed_in_.load(); }

std::uint64_t TlsTransport::dials_sent() const { return impl_->shared_->dials_sent.load(); }

std::vector<std::string> TlsTransport::describe_limits() const {
  const auto& s = *impl_->shared_;
  const auto& o = s.options;
  const auto n = [](auto v) { return std::to_string(v); };
  const auto mib = [](std::size_t b) { return std::to_string(b >> 20) + " MiB"; };
  const auto secs = [](std::chrono::milliseconds ms) {
    return ms.count() % 1000 == 0 ? std::to_string(ms.count() / 1000) + " s" : std::to_string(ms.count()) + " ms";
  };
  return {
      "inbound connections: " + n(impl_->inbound_count_.load()) + " (cap " + n(o.max_inbound_connections) + ", " +
          n(o.max_inbound_per_address) + " per address), " + n(s.refused_connections.load()) + " refused",
      "handshakes in progress: " + n(impl_->handshake_count_.load()) + " (cap " + n(o.max_handshakes) + ", " +
          n(o.max_handshakes_per_address) + " per address, " + secs(o.handshake_timeout) + " each)",
      "answers queued: cap " + mib(o.max_reply_bytes_per_connection) + " per connection, " +
          mib(o.max_reply_bytes_per_node) + " per node; " + n(s.busy_answers.load()) + " busy answers",
      "deadlines: write " + secs(o.write_timeout) + " (" + n(s.dropped_slow_readers.load()) + " dropped), frame " +
          secs(o.frame_timeout) + " (" + n(s.dropped_stalled_frames.load()) + " dropped), idle " +
          secs(o.idle_timeout),
      "log lines about peers: " + n(o.log_lines_per_minute) + " per minute (" +
          n(s.limited_log->suppressed()) + " suppressed)",
  };
}

void TlsTransport::request(std::string address, std::optional<NodeIdBytes> expected, wire::Envelope request,
                           SharedBytes payload, std::chrono::milliseconds timeout, ResponseCallback callback) {
  detail::OutgoingRequest req{std::move(request), std::move(payload), expected, timeout, std::move(callback)};
  // Always posted, also on the network thread: the callback never runs
  // inside this call, so callers need not be reentrant.
  asio::post(impl_->io_, [impl = impl_, address = std::move(address), expected, req = std::move(req)]() mutable {
    impl->request(std::move(address), expected, std::move(req), false);
  });
}

void TlsTransport::request_dialed(std::string address, NodeIdBytes expected, wire::Envelope request,
                                  std::chrono::milliseconds timeout, ResponseCallback callback) {
  detail::OutgoingRequest req{std::move(request), {}, expected, timeout, std::move(callback)};
  asio::post(impl_->io_, [impl = impl_, address = std::move(address), expected, req = std::move(req)]() mutable {
    impl->request(std::move(address), expected, std::move(req), true);
  });
}

void TlsTransport::stop() {
  asio::dispatch(impl_->io_, [impl = impl_] { impl->stop(); });
}

}  // namespace dfs::net
