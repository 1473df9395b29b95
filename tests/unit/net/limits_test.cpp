// Per-peer limits: requests beyond the in-flight limits wait their turn,
// and a peer that floods us with requests is told we are busy.
#include <atomic>

#include "net_test_util.hpp"

namespace dfs::net::testing {
namespace {

class Limits : public NetFixture {
 protected:
  // Answers `total` requests in rounds: waits until the server holds a
  // full round (`per_round`, or what is left), then releases them all.
  template <typename Server>
  void release_in_rounds(Server& server, std::size_t total, std::size_t per_round) {
    std::size_t answered = 0;
    while (answered < total) {
      const std::size_t round = std::min(per_round, total - answered);
      ASSERT_TRUE(eventually([&] { return on_io([&] { return server.held.size() >= round; }); }))
          << answered << " of " << total << " answered";
      answered += on_io([&] {
        const std::size_t n = server.held.size();
        server.release();
        return n;
      });
    }
  }
};

// Holds every request it gets until release(); records the peak number
// held at once. Network thread only, except through on_io.
struct HoldingServer {
  std::vector<Responder> held;
  std::size_t peak = 0;
  void install(Endpoint& e) {
    e.transport->set_request_handler([this](const PeerInfo&, Message, Responder r) {
      held.push_back(r);
      peak = std::max(peak, held.size());
    });
  }
  void release() {
    wire::Envelope pong;
    pong.mutable_pong();
    for (auto& r : held) r.reply(pong);
    held.clear();
  }
};

TEST_F(Limits, RequestsBeyondTheInFlightLimitWaitAndAllComplete) {
  TlsTransportOptions options;
  options.max_requests_in_flight = 2;
  Endpoint& a = make_endpoint(options);
  Endpoint& b = make_endpoint();
  HoldingServer server;
  server.install(b);
  std::vector<std::future<Result<Message>>> replies;
  for (int i = 0; i < 6; ++i) replies.push_back(request_future(*a.transport, b.address, b.id, ping(), {}, 20s));
  // Release in rounds of two (the limit) until all six are answered; a
  // third request sent early would show in the peak.
  release_in_rounds(server, replies.size(), 2);
  for (auto& f : replies) EXPECT_TRUE(f.get().ok());
  EXPECT_EQ(on_io([&] { return server.peak; }), 2u);
}

TEST_F(Limits, PayloadBytesBeyondTheLimitWaitForEarlierRequests) {
  TlsTransportOptions options;
  options.max_bytes_in_flight = 1u << 20;
  Endpoint& a = make_endpoint(options);
  Endpoint& b = make_endpoint();
  HoldingServer server;
  server.install(b);
  std::vector<std::future<Result<Message>>> replies;
  wire::Envelope put;
  put.mutable_put_chunk()->set_chunk_id(std::string(32, 'p'));
  // 600 KiB each: two would exceed 1 MiB, so they go one at a time.
  for (int i = 0; i < 3; ++i) {
    replies.push_back(request_future(*a.transport, b.address, b.id, put, Bytes(600u << 10, 1), 20s));
  }
  release_in_rounds(server, replies.size(), 1);
  for (auto& f : replies) EXPECT_TRUE(f.get().ok());
  EXPECT_EQ(on_io([&] { return server.peak; }), 1u);
}

TEST_F(Limits, AWaitingRequestStillTimesOutAtItsDeadline) {
  TlsTransportOptions options;
  options.max_requests_in_flight = 1;
  Endpoint& a = make_endpoint(options);
  Endpoint& b = make_endpoint();
  HoldingServer server;
  server.install(b);
  auto first = request_future(*a.transport, b.address, b.id, ping(), {}, 20s);
  // Once the first is held there (the connection is up and silent), a
  // second waits behind it: its timeout says nothing of the peer, so the
  // connection, and the first, stay.
  ASSERT_TRUE(eventually([&] { return on_io([&] { return server.peak; }) == 1u; }, 5s));
  auto second = request_future(*a.transport, b.address, b.id, ping(), {}, 300ms);
  ASSERT_EQ(second.wait_for(5s), std::future_status::ready);
  auto r = second.get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::timed_out);
  on_io([&] { server.release(); });
  EXPECT_TRUE(first.get().ok());
  EXPECT_EQ(on_io([&] { return server.peak; }), 1u);  // the second was never sent
}

TEST_F(Limits, APeerWithTooManyRequestsInFlightIsToldWeAreBusy) {
  Endpoint& a = make_endpoint();
  TlsTransportOptions strict;
  strict.max_incoming_in_flight = 1;
  Endpoint& b = make_endpoint(strict);
  HoldingServer server;
  server.install(b);
  auto first = request_future(*a.transport, b.address, b.id, ping(), {}, 20s);
  auto second = request_future(*a.transport, b.address, b.id, ping(), {}, 20s);
  auto r = second.get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::busy);
  EXPECT_NE(r.error().message.find("busy"), std::string::npos);
  on_io([&] { server.release(); });
  EXPECT_TRUE(first.get().ok());
}

}  // namespace
}  // namespace dfs::net::testing
