#include "lying_peer.hpp"

#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <deque>
#include <optional>

#include "dfs/crypto/crypto.hpp"
#include "dfs/net/frame.hpp"
#include "dfs/net/wire_codes.hpp"
#include "hostile_peer.hpp"
#include "tls.hpp"

namespace dfs::testing {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// One connection, either way: Hello, then an answer (a lie) to every
// request. Lives as long as its pending reads and writes hold it.
class LyingPeer::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(LyingPeer& owner, tcp::socket socket) : owner_(owner), stream_(std::move(socket), *owner.ssl_) {}

  void start(asio::ssl::stream_base::handshake_type type, std::optional<wire::Envelope> first) {
    stream_.async_handshake(type, [self = shared_from_this(), first](const boost::system::error_code& ec) {
      if (ec) return;
      wire::Envelope hello;
      hello.mutable_hello();
      self->send(hello);
      if (first) self->send(*first);
      self->read();
    });
  }

 private:
  void read() {
    stream_.async_read_some(asio::buffer(buf_), [self = shared_from_this()](const boost::system::error_code& ec,
                                                                             std::size_t n) {
      if (ec) return;
      std::vector<net::Frame> frames;
      if (!self->decoder_.feed(ByteView(self->buf_.data(), n), frames).ok()) return;
      for (const net::Frame& f : frames) self->answer(f.envelope);
      self->read();
    });
  }

  void answer(const wire::Envelope& request) {
    if (request.is_response() || request.body_case() == wire::Envelope::kHello) return;
    wire::Envelope reply;
    switch (request.body_case()) {
      case wire::Envelope::kPing: reply.mutable_pong(); break;
      case wire::Envelope::kFindNode: reply.mutable_find_node_result(); break;
      case wire::Envelope::kFindValue: reply.mutable_find_value_result(); break;
      case wire::Envelope::kPutChunk:
        owner_.puts_dropped_.fetch_add(1);
        reply.mutable_put_chunk_result();
        break;
      case wire::Envelope::kPutChunks:  // every chunk "stored", none kept
        owner_.puts_dropped_.fetch_add(static_cast<std::size_t>(request.put_chunks().chunks_size()));
        for (int i = 0; i < request.put_chunks().chunks_size(); ++i) reply.mutable_put_chunks_result()->add_outcomes();
        break;
      case wire::Envelope::kHasChunks: {
        const auto n = static_cast<std::size_t>(request.has_chunks().chunk_ids_size());
        owner_.chunks_claimed_.fetch_add(n);
        reply.mutable_has_chunks_result()->set_present_bitmap(std::string((n + 7) / 8, '\xff'));
        break;
      }
      case wire::Envelope::kProveChunk: {
        owner_.challenges_.fetch_add(1);
        crypto::Digest made_up{};
        crypto::random_bytes(made_up);
        reply.mutable_prove_chunk_result()->set_proof(std::string(made_up.begin(), made_up.end()));
        break;
      }
      default: *reply.mutable_error() = net::to_wire_error(make_error(Errc::not_found, "not here"));
    }
    reply.set_request_id(request.request_id());
    reply.set_is_response(true);
    send(reply);
  }

  void send(wire::Envelope env) {
    const net::NodeIdBytes& id = owner_.identity_.node_id();
    env.mutable_sender()->set_node_id(id.data(), id.size());
    env.mutable_sender()->set_address(owner_.address_);
    out_.push_back(net::encode_frame(env, {}).value());
    if (out_.size() == 1) write_next();
  }

  void write_next() {
    asio::async_write(stream_, asio::buffer(out_.front()),
                      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                        if (ec) return;
                        self->out_.pop_front();
                        if (!self->out_.empty()) self->write_next();
                      });
  }

  LyingPeer& owner_;
  asio::ssl::stream<tcp::socket> stream_;
  std::array<std::uint8_t, 64 * 1024> buf_{};
  net::FrameDecoder decoder_;
  std::deque<Bytes> out_;  // frames to write, the first one being written
};

LyingPeer::LyingPeer(const std::string& listen)
    : identity_(net::Identity::generate().value()),
      address_(listen),
      ssl_(net::tls::make_context(identity_).value()),
      acceptor_(io_, endpoint_of(listen)) {
  accept();
  thread_ = std::thread([this] { io_.run(); });
}

LyingPeer::~LyingPeer() {
  io_.stop();
  thread_.join();
}

void LyingPeer::accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec) return;
    std::make_shared<Session>(*this, std::move(socket))->start(asio::ssl::stream_base::server, std::nullopt);
    accept();
  });
}

void LyingPeer::introduce_to(const std::string& address) {
  tcp::socket socket(io_);
  socket.open(tcp::v4());
  socket.bind(tcp::endpoint(endpoint_of(address_).address(), 0));
  socket.connect(endpoint_of(address));
  wire::Envelope find;
  const net::NodeIdBytes& id = identity_.node_id();
  find.mutable_find_node()->set_target(id.data(), id.size());
  find.set_request_id(1);
  asio::post(io_, [this, socket = std::make_shared<tcp::socket>(std::move(socket)), find]() mutable {
    std::make_shared<Session>(*this, std::move(*socket))->start(asio::ssl::stream_base::client, find);
  });
}

}  // namespace dfs::testing
