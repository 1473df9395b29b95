// Which TLS 1.3 suite two dfs peers agree on, and that a peer preferring
// another suite still connects. Two raw TLS streams over 127.0.0.1 in one
// io_context, driven by the test thread.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <openssl/ssl.h>

#include <string>

#include "tls.hpp"

namespace dfs::net::testing {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Stream = asio::ssl::stream<tcp::socket>;

// Handshakes a client with `client_ctx` against a server with a dfs
// context; returns the suite the client ended up with ("" on failure).
std::string negotiated_suite(asio::ssl::context& client_ctx) {
  asio::io_context io;
  Identity server_identity = Identity::generate().value();
  auto server_ctx = tls::make_context(server_identity).value();
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  Stream server(io, *server_ctx);
  Stream client(io, client_ctx);
  boost::system::error_code server_ec, client_ec;
  acceptor.async_accept(server.next_layer(), [&](const boost::system::error_code& ec) {
    if (ec) {
      server_ec = ec;
      return;
    }
    server.async_handshake(asio::ssl::stream_base::server, [&](const boost::system::error_code& e) { server_ec = e; });
  });
  client.next_layer().async_connect(acceptor.local_endpoint(), [&](const boost::system::error_code& ec) {
    if (ec) {
      client_ec = ec;
      return;
    }
    client.async_handshake(asio::ssl::stream_base::client, [&](const boost::system::error_code& e) { client_ec = e; });
  });
  io.run_for(std::chrono::seconds(10));
  if (server_ec || client_ec) return "";
  const SSL_CIPHER* cipher = SSL_get_current_cipher(client.native_handle());
  return cipher ? SSL_CIPHER_get_name(cipher) : "";
}

TEST(Tls, TwoDfsPeersAgreeOnAes128Gcm) {
  Identity client_identity = Identity::generate().value();
  auto client_ctx = tls::make_context(client_identity).value();
  EXPECT_EQ(negotiated_suite(*client_ctx), "TLS_AES_128_GCM_SHA256");
}

TEST(Tls, APeerThatOffersOnlyAes256GcmStillConnects) {
  Identity client_identity = Identity::generate().value();
  auto client_ctx = tls::make_context(client_identity).value();
  ASSERT_EQ(SSL_CTX_set_ciphersuites(client_ctx->native_handle(), "TLS_AES_256_GCM_SHA384"), 1);
  EXPECT_EQ(negotiated_suite(*client_ctx), "TLS_AES_256_GCM_SHA384");
}

}  // namespace
}  // namespace dfs::net::testing
