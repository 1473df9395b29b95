// A peer that breaks the protocol loses its own connection, with a logged
// reason, and nothing else: the endpoint goes on serving everyone else.
// The misbehaving peer is a raw TLS socket driven by the test thread.
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include "dfs/net/frame.hpp"
#include "net_test_util.hpp"
#include "tls.hpp"

namespace dfs::net::testing {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// A client that completes the TLS handshake with a real identity, then
// writes whatever the test says. Its own io_context, run by the test thread.
class RawPeer {
 public:
  explicit RawPeer(std::uint16_t port)
      : identity_(Identity::generate().value()), ssl_(tls::make_context(identity_).value()), stream_(io_, *ssl_) {
    stream_.lowest_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }

  const NodeIdBytes& id() const { return identity_.node_id(); }
  void handshake() { stream_.handshake(asio::ssl::stream_base::client); }
  void send_hello() {
    wire::Envelope env;
    env.mutable_hello();
    send(encode_frame(env, {}).value());
  }
  void send(ByteView bytes) { asio::write(stream_, asio::buffer(bytes.data(), bytes.size())); }
  void send_plain(ByteView bytes) { asio::write(stream_.next_layer(), asio::buffer(bytes.data(), bytes.size())); }

  // True if the endpoint closes the connection within `limit` (reading
  // and discarding what it sends before, such as its Hello).
  bool closed_by_peer(std::chrono::milliseconds limit = 5s) {
    bool closed = false;
    read_until_closed(closed);
    io_.run_for(limit);
    return closed;
  }

 private:
  void read_until_closed(bool& closed) {
    stream_.async_read_some(asio::buffer(buf_), [this, &closed](const boost::system::error_code& ec, std::size_t) {
      if (ec) {
        closed = true;
        io_.stop();
        return;
      }
      read_until_closed(closed);
    });
  }

  asio::io_context io_;
  Identity identity_;
  std::unique_ptr<asio::ssl::context> ssl_;
  asio::ssl::stream<tcp::socket> stream_;
  std::array<std::uint8_t, 4096> buf_{};
};

class Misbehaving : public NetFixture {
 protected:
  Misbehaving() : server_(make_endpoint()), bystander_(make_endpoint()) { serve_ping(server_); }

  std::uint16_t server_port() const {
    return static_cast<std::uint16_t>(std::stoi(server_.address.substr(server_.address.rfind(':') + 1)));
  }

  // Sends `bytes` after a proper handshake and Hello; expects the endpoint
  // to close that connection, log `reason`, and still answer a bystander.
  void expect_only_that_connection_closes(ByteView bytes, const std::string& reason) {
    ASSERT_TRUE(call(bystander_, server_, ping()).ok());  // a connection that must survive
    RawPeer raw(server_port());
    raw.handshake();
    raw.send_hello();
    raw.send(bytes);
    EXPECT_TRUE(raw.closed_by_peer());
    EXPECT_TRUE(server_.logs->wait_for("peer " + short_id(raw.id()) + " at 127.0.0.1:")) << server_.logs->all();
    EXPECT_TRUE(server_.logs->wait_for(reason)) << server_.logs->all();
    EXPECT_TRUE(eventually([&] { return server_.transport->connection_count() == 1; }));
    auto reply = call(bystander_, server_, ping());
    EXPECT_TRUE(reply.ok());
    EXPECT_EQ(bystander_.transport->connection_count(), 1u);  // the same connection as before
  }

  static Bytes prefix(std::uint8_t version, std::uint32_t header_len, std::uint32_t payload_len) {
    Bytes out;
    ByteWriter w(out);
    w.u8(version);
    w.u32(header_len);
    w.u32(payload_len);
    return out;
  }

  Endpoint& server_;
  Endpoint& bystander_;
};

TEST_F(Misbehaving, AFrameOfAnUnknownVersionClosesOnlyThatConnection) {
  expect_only_that_connection_closes(prefix(7, 0, 0), "malformed frame: frame version 7 is not supported");
}

TEST_F(Misbehaving, AnOversizedHeaderClosesOnlyThatConnection) {
  expect_only_that_connection_closes(prefix(kFrameVersion, 1u << 20, 0),
                                     "malformed frame: frame header of 1048576 bytes exceeds the limit");
}

TEST_F(Misbehaving, AnOversizedPayloadClosesOnlyThatConnection) {
  expect_only_that_connection_closes(prefix(kFrameVersion, 0, 0xffffffffu),
                                     "malformed frame: frame payload of 4294967295 bytes exceeds the limit");
}

TEST_F(Misbehaving, AnUnparsableEnvelopeClosesOnlyThatConnection) {
  Bytes bytes = prefix(kFrameVersion, 4, 0);
  bytes.insert(bytes.end(), {0x0f, 0xff, 0xff, 0xff});
  expect_only_that_connection_closes(bytes, "malformed frame: frame header of 4 bytes is not a valid Envelope");
}

TEST_F(Misbehaving, ClaimingAnotherNodeIdClosesOnlyThatConnection) {
  wire::Envelope env;
  env.mutable_ping();
  env.mutable_sender()->set_node_id(std::string(32, 'x'));
  expect_only_that_connection_closes(encode_frame(env, {}).value(), "claim another node ID");
}

TEST_F(Misbehaving, ARequestBeforeHelloClosesTheConnection) {
  RawPeer raw(server_port());
  raw.handshake();
  wire::Envelope env;
  env.mutable_ping();
  raw.send(encode_frame(env, {}).value());
  EXPECT_TRUE(raw.closed_by_peer());
  EXPECT_TRUE(server_.logs->wait_for("protocol error: sent ping before Hello")) << server_.logs->all();
  EXPECT_TRUE(call(bystander_, server_, ping()).ok());
}

TEST_F(Misbehaving, PlainTcpWithoutTlsClosesOnlyThatConnection) {
  RawPeer raw(server_port());
  raw.send_plain(prefix(kFrameVersion, 0, 0));
  EXPECT_TRUE(raw.closed_by_peer());
  EXPECT_TRUE(server_.logs->wait_for("TLS handshake failed")) << server_.logs->all();
  EXPECT_TRUE(call(bystander_, server_, ping()).ok());
}

}  // namespace
}  // namespace dfs::net::testing
