// A private network (--network-key): peers prove the key after the TLS
// handshake; a peer without it, or with another, is refused by both sides.
#include "net_test_util.hpp"

namespace dfs::net::testing {
namespace {

using NetworkKey = NetFixture;

TlsTransportOptions with_key(std::string_view key) {
  TlsTransportOptions options;
  options.network_key = Bytes(key.begin(), key.end());
  return options;
}

TEST_F(NetworkKey, PeersHoldingTheSameKeyTalk) {
  Endpoint& a = make_endpoint(with_key("our secret"));
  Endpoint& b = make_endpoint(with_key("our secret"));
  serve_ping(b);
  auto reply = call(a, b, ping());
  ASSERT_TRUE(reply.ok()) << reply.error().to_string();
}

TEST_F(NetworkKey, APeerWithoutTheKeyIsRefusedAndBothSidesLogWhy) {
  Endpoint& keyed = make_endpoint(with_key("our secret"));
  Endpoint& outsider = make_endpoint();
  serve_ping(keyed);
  auto reply = call(outsider, keyed, ping());
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, Errc::permission_denied);
  EXPECT_TRUE(keyed.logs->wait_for("peer " + short_id(outsider.id) + " at 127.0.0.1:"));
  EXPECT_TRUE(keyed.logs->wait_for("refused: it does not hold this network's key")) << keyed.logs->all();
  EXPECT_TRUE(outsider.logs->wait_for("refused: it belongs to a private network")) << outsider.logs->all();
  EXPECT_TRUE(eventually([&] { return keyed.transport->connection_count() == 0; }));
}

TEST_F(NetworkKey, APeerWithAnotherKeyIsRefusedAndBothSidesLogWhy) {
  Endpoint& a = make_endpoint(with_key("our secret"));
  Endpoint& b = make_endpoint(with_key("their secret"));
  serve_ping(b);
  auto reply = call(a, b, ping());
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, Errc::permission_denied);
  const std::string why = "refused: it does not hold this network's key (its proof does not match)";
  EXPECT_TRUE(a.logs->wait_for("peer " + short_id(b.id) + " at " + b.address + " " + why)) << a.logs->all();
  EXPECT_TRUE(b.logs->wait_for("peer " + short_id(a.id) + " at 127.0.0.1:")) << b.logs->all();
  EXPECT_TRUE(b.logs->wait_for(why)) << b.logs->all();
}

TEST_F(NetworkKey, AKeyedNodeCannotReachAnOpenNode) {
  Endpoint& keyed = make_endpoint(with_key("our secret"));
  Endpoint& open = make_endpoint();
  serve_ping(open);
  auto reply = call(keyed, open, ping());
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, Errc::permission_denied);
  EXPECT_TRUE(keyed.logs->wait_for("refused: it does not hold this network's key (it sent no proof)"));
  EXPECT_TRUE(open.logs->wait_for("refused: it belongs to a private network"));
}

TEST_F(NetworkKey, AnEmptyKeyIsRejectedAtCreation) {
  auto identity = Identity::generate();
  ASSERT_TRUE(identity.ok());
  TlsTransportOptions options;
  options.network_key = Bytes{};
  auto transport = TlsTransport::create(io_, *identity, options);
  ASSERT_FALSE(transport.ok());
  EXPECT_EQ(transport.error().code, Errc::invalid_argument);
}

}  // namespace
}  // namespace dfs::net::testing
