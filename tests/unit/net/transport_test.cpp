// The TLS transport between endpoints in one process, over 127.0.0.1.
#include <boost/asio/steady_timer.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <vector>

#include "dfs/crypto/crypto.hpp"
#include "net_test_util.hpp"

namespace dfs::net::testing {
namespace {

using TlsTransportTest = NetFixture;

TEST_F(TlsTransportTest, HandshakeReportsTheVerifiedIdOfABootstrapPeer) {
  Endpoint& a = make_endpoint();
  Endpoint& b = make_endpoint();
  std::promise<PeerInfo> seen_by_b;
  b.transport->set_request_handler([&](const PeerInfo& from, Message request, Responder respond) {
    seen_by_b.set_value(from);
    EXPECT_EQ(request.env.sender().address(), a.address);  // a's listen address, not its source port
    wire::Envelope pong;
    pong.mutable_pong();
    respond.reply(std::move(pong));
  });
  // A bootstrap address: a does not know b's ID yet.
  auto reply = request_blocking(*a.transport, b.address, std::nullopt, ping(), {}, 10s);
  ASSERT_TRUE(reply.ok()) << reply.error().to_string();
  EXPECT_EQ(reply->from.id, b.id);
  EXPECT_EQ(reply->env.body_case(), wire::Envelope::kPong);
  EXPECT_EQ(reply->env.sender().node_id(), std::string(b.id.begin(), b.id.end()));
  const PeerInfo from = seen_by_b.get_future().get();
  EXPECT_EQ(from.id, a.id);
  EXPECT_EQ(from.listen_address, a.address);
}

TEST_F(TlsTransportTest, ConnectingWithAWrongExpectedIdIsRefused) {
  Endpoint& a = make_endpoint();
  Endpoint& b = make_endpoint();
  serve_ping(b);
  NodeIdBytes wrong = b.id;
  wrong[0] ^= 1;
  auto reply = call(a, b, ping(), {}, wrong);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, Errc::permission_denied);
  EXPECT_TRUE(a.logs->contains("refused: it is not the expected node " + short_id(wrong))) << a.logs->all();
  // The right ID still gets through (a fresh connection).
  EXPECT_TRUE(call(a, b, ping()).ok());
}

TEST_F(TlsTransportTest, RequestsToOnePeerShareOneConnection) {
  Endpoint& a = make_endpoint();
  Endpoint& b = make_endpoint();
  serve_ping(b);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(call(a, b, ping()).ok());
  EXPECT_EQ(a.transport->connection_count(), 1u);
  EXPECT_EQ(b.transport->connection_count(), 1u);
}

TEST_F(TlsTransportTest, PeerCanAnswerBackOverTheConnectionItAccepted) {
  Endpoint& a = make_endpoint();
  Endpoint& b = make_endpoint();
  serve_ping(a);
  serve_ping(b);
  ASSERT_TRUE(call(a, b, ping()).ok());
  ASSERT_TRUE(call(b, a, ping()).ok());  // by a's ID: reuses the incoming connection
  EXPECT_EQ(b.transport->connection_count(), 1u);
}

TEST_F(TlsTransportTest, ASlowAnswerDoesNotHoldUpAFastOneOnTheSameConnection) {
  Endpoint& a = make_endpoint();
  Endpoint& b = make_endpoint();
  // GetChunk is answered after 300 ms, Ping at once.
  b.transport->set_request_handler([this](const PeerInfo&, Message request, Responder respond) {
    if (request.env.has_get_chunk()) {
      auto timer = std::make_shared<boost::asio::steady_timer>(io_, 300ms);
      timer->async_wait([timer, respond](const boost::system::error_code&) {
        wire::Envelope result;
        result.mutable_get_chunk_result();
        respond.reply(std::move(result), Bytes(1 << 20, 0x33));
      });
      return;
    }
    wire::Envelope pong;
    pong.mutable_pong();
    respond.reply(std::move(pong));
  });
  ASSERT_TRUE(call(a, b, ping()).ok());  // connect first

  std::mutex mu;
  std::vector<std::string> order;  // guarded by mu
  std::promise<void> both;
  std::atomic<int> left{2};
  auto record = [&](std::string what) {
    return [&, what](Result<Message> r) {
      EXPECT_TRUE(r.ok());
      {
        std::lock_guard lock(mu);
        order.push_back(what);
      }
      if (--left == 0) both.set_value();
    };
  };
  wire::Envelope get;
  get.mutable_get_chunk()->set_chunk_id(std::string(32, 'c'));
  a.transport->request(b.address, b.id, get, {}, 10s, record("get_chunk"));
  a.transport->request(b.address, b.id, ping(), {}, 10s, record("ping"));
  both.get_future().wait();
  EXPECT_EQ(order, (std::vector<std::string>{"ping", "get_chunk"}));
  EXPECT_EQ(a.transport->connection_count(), 1u);
}

TEST_F(TlsTransportTest, A16MiBChunkTravelsAsPayloadBothWays) {
  Endpoint& a = make_endpoint();
  Endpoint& b = make_endpoint();
  // b keeps what PutChunk sends and returns it for GetChunk.
  auto stored = std::make_shared<Bytes>();
  b.transport->set_request_handler([stored](const PeerInfo&, Message request, Responder respond) {
    wire::Envelope result;
    if (request.env.has_put_chunk()) {
      *stored = std::move(request.payload);
      result.mutable_put_chunk_result();
      respond.reply(std::move(result));
    } else {
      result.mutable_get_chunk_result();
      respond.reply(std::move(result), SharedBytes::copy_of(*stored));
    }
  });
  Bytes chunk(16u << 20);
  crypto::random_bytes(chunk);
  const auto digest = crypto::sha256(chunk);

  wire::Envelope put;
  put.mutable_put_chunk()->set_chunk_id(digest.data(), digest.size());
  auto put_reply = call(a, b, put, chunk, std::nullopt, 60s);
  ASSERT_TRUE(put_reply.ok()) << put_reply.error().to_string();

  wire::Envelope get;
  get.mutable_get_chunk()->set_chunk_id(digest.data(), digest.size());
  constexpr int kRounds = 4;
  Bytes last;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kRounds; ++i) {
    auto got = call(a, b, get, {}, std::nullopt, 60s);
    ASSERT_TRUE(got.ok()) << got.error().to_string();
    ASSERT_EQ(got->payload.size(), chunk.size());
    last = std::move(got->payload);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(crypto::sha256(last), digest);
  std::printf("GetChunk of 16 MiB over loopback TLS: %.0f MB/s\n", kRounds * 16.0 * 1.048576 / seconds);
}

// While a payload arrives the reader sleeps until hundreds of KiB wait on
// the socket (SO_RCVLOWAT, read_wakeups.hpp): a mark above what is still to
// come would stall the frame until its deadline. Sizes around the marks'
// edges, each sent and echoed back, must arrive whole and at once.
TEST_F(TlsTransportTest, PayloadsOfEverySizeAroundTheReadMarksArriveWholeBothWays) {
  Endpoint& a = make_endpoint();
  Endpoint& b = make_endpoint();
  b.transport->set_request_handler([](const PeerInfo&, Message request, Responder respond) {
    wire::Envelope result;
    result.mutable_get_chunk_result();
    respond.reply(std::move(result), SharedBytes::copy_of(request.payload));
  });
  constexpr std::size_t K = 1024;
  for (std::size_t size : {std::size_t{1}, 64 * K, 192 * K - 1, 192 * K, 192 * K + 1, 256 * K + 17, 700 * K,
                           1024 * K, 1024 * K + 29, 3 * 1024 * K + 5}) {
    Bytes payload(size);
    crypto::random_bytes(payload);
    wire::Envelope put;
    put.mutable_put_chunk()->set_chunk_id(std::string(32, 'x'));
    // Well under the frame deadline a stalled read would wait for.
    auto echoed = call(a, b, put, payload, std::nullopt, 5s);
    ASSERT_TRUE(echoed.ok()) << size << " bytes: " << echoed.error().to_string();
    EXPECT_EQ(echoed->payload.size(), size);
    EXPECT_TRUE(echoed->payload == payload) << size << " bytes came back different";
  }
}

TEST_F(TlsTransportTest, ARequestWithNoAnswerTimesOut) {
  Endpoint& a = make_endpoint();
  Endpoint& b = make_endpoint();
  std::vector<Responder> held;  // network thread only: never answered
  b.transport->set_request_handler([&held](const PeerInfo&, Message, Responder r) { held.push_back(r); });
  const auto start = std::chrono::steady_clock::now();
  auto reply = call(a, b, ping(), {}, std::nullopt, 300ms);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, Errc::timed_out);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 300ms);
  on_io([&] { held.clear(); });
}

// A peer silent for a whole request timeout is presumed gone (a cut
// link, a stopped process): the connection is dropped, so that the next
// request dials afresh instead of queueing behind TCP's backed-off
// retransmits on the old one once the link is back.
TEST_F(TlsTransportTest, AConnectionThatHeardNothingForATimeoutIsDroppedAndTheNextRequestDialsAgain) {
  Endpoint& a = make_endpoint();
  Endpoint& b = make_endpoint();
  std::vector<Responder> held;  // network thread only
  std::atomic<bool> silent{false};
  b.transport->set_request_handler([&](const PeerInfo&, Message, Responder r) {
    if (silent) return held.push_back(r);
    wire::Envelope pong;
    pong.mutable_pong();
    r.reply(std::move(pong));
  });
  ASSERT_TRUE(call(a, b, ping()).ok());
  silent = true;
  auto reply = call(a, b, ping(), {}, std::nullopt, 300ms);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, Errc::timed_out);
  EXPECT_TRUE(eventually([&] { return a.transport->connection_count() == 0; }, 5s))
      << "the silent connection is still open";
  silent = false;
  EXPECT_TRUE(call(a, b, ping()).ok());
  EXPECT_EQ(a.transport->connection_count(), 1u);
  on_io([&] { held.clear(); });
}

// A peer that answers other requests meanwhile is slow, not gone: its
// connection stays.
TEST_F(TlsTransportTest, AConnectionThatHeardFromThePeerDuringATimeoutStays) {
  Endpoint& a = make_endpoint();
  Endpoint& b = make_endpoint();
  std::vector<Responder> held;  // network thread only
  b.transport->set_request_handler([&](const PeerInfo&, Message request, Responder r) {
    if (request.env.has_get_chunk()) return held.push_back(r);
    wire::Envelope pong;
    pong.mutable_pong();
    r.reply(std::move(pong));
  });
  ASSERT_TRUE(call(a, b, ping()).ok());
  std::promise<Result<Message>> held_reply;
  wire::Envelope get;
  get.mutable_get_chunk()->set_chunk_id(std::string(32, 'c'));
  a.transport->request(b.address, b.id, get, {}, 500ms,
                       [&](Result<Message> r) { held_reply.set_value(std::move(r)); });
  ASSERT_TRUE(call(a, b, ping()).ok());  // heard, after the GetChunk was queued
  auto timed_out = held_reply.get_future().get();
  ASSERT_FALSE(timed_out.ok());
  EXPECT_EQ(timed_out.error().code, Errc::timed_out);
  EXPECT_TRUE(call(a, b, ping()).ok());
  EXPECT_EQ(a.transport->connection_count(), 1u);
  EXPECT_EQ(b.transport->dialed_in(), 1u) << "a dialed b again";
  on_io([&] { held.clear(); });
}

TEST_F(TlsTransportTest, TheHandlersErrorReachesTheRequester) {
  Endpoint& a = make_endpoint();
  Endpoint& b = make_endpoint();
  b.transport->set_request_handler([](const PeerInfo&, Message, Responder respond) {
    respond.fail(make_error(Errc::not_found, "no such chunk"));
  });
  auto reply = call(a, b, ping());
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, Errc::not_found);
  EXPECT_NE(reply.error().message.find("no such chunk"), std::string::npos);
}

TEST_F(TlsTransportTest, ADroppedRequestIsAnsweredAtOnceWithAnError) {
  Endpoint& a = make_endpoint();
  Endpoint& b = make_endpoint();
  b.transport->set_request_handler([](const PeerInfo&, Message, Responder) {});
  auto reply = call(a, b, ping(), {}, std::nullopt, 30s);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, Errc::internal);
  EXPECT_NE(reply.error().message.find("dropped"), std::string::npos);
}

TEST_F(TlsTransportTest, AnUnreachablePeerFailsWithUnavailable) {
  Endpoint& a = make_endpoint();
  Endpoint& b = make_endpoint();
  const std::string address = b.address;
  on_io([&] { b.transport->stop(); });
  auto reply = request_blocking(*a.transport, address, std::nullopt, ping(), {}, 5s);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, Errc::unavailable);
}

// A listener on 127.0.0.1 whose accept queue is full: the kernel drops
// the SYNs that reach it, as a cut link would. open() makes room for one.
class DroppedSyns {
 public:
  DroppedSyns() {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in at{};
    at.sin_family = AF_INET;
    at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof(at);
    EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&at), sizeof(at)), 0);
    EXPECT_EQ(::listen(listener_, 0), 0);  // one connection fills the queue
    EXPECT_EQ(::getsockname(listener_, reinterpret_cast<sockaddr*>(&at), &size), 0);
    port_ = ntohs(at.sin_port);
    filler_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    EXPECT_EQ(::connect(filler_, reinterpret_cast<sockaddr*>(&at), sizeof(at)), 0);
  }
  ~DroppedSyns() {
    for (int fd : {listener_, filler_, accepted_}) {
      if (fd >= 0) ::close(fd);
    }
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // Takes the queued connection: the next SYN gets through.
  void open() { accepted_ = ::accept(listener_, nullptr, nullptr); }
  // Whether a dial got through within `wait`.
  bool dialed_within(std::chrono::milliseconds wait) {
    pollfd p{listener_, POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(wait.count())) == 1;
  }

 private:
  int listener_ = -1;
  int filler_ = -1;
  int accepted_ = -1;
  std::uint16_t port_ = 0;
};

// TCP resends an unanswered SYN after 1, 3, 7, 15 s: a dial begun while a
// link was cut waited that long after the link came back, and every
// request to the peer with it. Now a dial is sent again each second, so
// the link is used within about a second of its return.
TEST_F(TlsTransportTest, ADialNobodyAnswersIsSentAgainEachSecondAndGetsThroughOnceTheLinkIsBack) {
  Endpoint& a = make_endpoint();
  DroppedSyns cut;
  std::promise<Result<Message>> reply;
  a.transport->request(cut.address(), std::nullopt, ping(), {}, 30s,
                       [&](Result<Message> r) { reply.set_value(std::move(r)); });
  EXPECT_TRUE(eventually([&] { return a.transport->dials_sent() >= 3; }, 10s))
      << a.transport->dials_sent() << " dials sent";
  cut.open();
  EXPECT_TRUE(cut.dialed_within(8s)) << "the dial did not get through once the link was back: "
                                     << a.transport->dials_sent() << " dials sent; " << a.logs->all();
  on_io([&] { a.transport->stop(); });
  EXPECT_FALSE(reply.get_future().get().ok());  // it never spoke TLS
}

// A put with R = 3 hands one sealed chunk to three requests as one shared
// buffer: each peer gets all of it, and the transport lets go of it once
// the requests are answered.
TEST_F(TlsTransportTest, OnePayloadBufferSentToTwoPeersArrivesWholeAtBothAndIsReleased) {
  Endpoint& a = make_endpoint();
  Endpoint& b = make_endpoint();
  Endpoint& c = make_endpoint();
  std::mutex mu;
  std::vector<Bytes> received;  // guarded by mu
  std::vector<Responder> held;  // guarded by mu: answered only once both arrived
  for (Endpoint* e : {&b, &c}) {
    e->transport->set_request_handler([&](const PeerInfo&, Message request, Responder respond) {
      std::lock_guard lock(mu);
      received.push_back(std::move(request.payload));
      held.push_back(std::move(respond));
    });
  }
  Bytes chunk(1 << 20);
  for (std::size_t i = 0; i < chunk.size(); ++i) chunk[i] = static_cast<std::uint8_t>(i % 251);
  const auto buffer = std::make_shared<const Bytes>(chunk);
  wire::Envelope put;
  put.mutable_put_chunk()->set_chunk_id(std::string(32, '\x01'));
  auto to_b = request_future(*a.transport, b.address, b.id, put, SharedBytes(buffer), 10s);
  auto to_c = request_future(*a.transport, c.address, c.id, put, SharedBytes(buffer), 10s);
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mu);
    return received.size() == 2;
  }));
  EXPECT_EQ(received[0], chunk);
  EXPECT_EQ(received[1], chunk);
  {
    std::lock_guard lock(mu);
    wire::Envelope result;
    result.mutable_put_chunk_result();
    for (Responder& r : held) r.reply(result);
  }
  ASSERT_TRUE(to_b.get().ok());
  ASSERT_TRUE(to_c.get().ok());
  EXPECT_TRUE(eventually([&] { return buffer.use_count() == 1; })) << "the transport let go of the buffer";
}

TEST_F(TlsTransportTest, AnIdleConnectionCloses) {
  TlsTransportOptions quick;
  quick.idle_timeout = 200ms;
  Endpoint& a = make_endpoint(quick);
  Endpoint& b = make_endpoint();
  serve_ping(b);
  ASSERT_TRUE(call(a, b, ping()).ok());
  EXPECT_EQ(a.transport->connection_count(), 1u);
  EXPECT_TRUE(eventually([&] { return a.transport->connection_count() == 0; }));
  EXPECT_TRUE(eventually([&] { return b.transport->connection_count() == 0; }));  // b sees a leave
  EXPECT_TRUE(a.logs->contains("idle")) << a.logs->all();
  ASSERT_TRUE(call(a, b, ping()).ok());  // and a new request reconnects
}

TEST_F(TlsTransportTest, StopFailsPendingRequestsWithUnavailable) {
  Endpoint& a = make_endpoint();
  Endpoint& b = make_endpoint();
  std::vector<Responder> held;  // network thread only
  b.transport->set_request_handler([&held](const PeerInfo&, Message, Responder r) { held.push_back(r); });
  auto pending = request_future(*a.transport, b.address, b.id, ping(), {}, 30s);
  ASSERT_TRUE(eventually([&] { return on_io([&] { return held.size(); }) == 1; }));
  a.transport->stop();
  ASSERT_EQ(pending.wait_for(5s), std::future_status::ready);
  auto reply = pending.get();
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, Errc::unavailable);
  // And every later request too.
  auto later = call(a, b, ping());
  ASSERT_FALSE(later.ok());
  EXPECT_EQ(later.error().code, Errc::unavailable);
  on_io([&] { held.clear(); });
}

}  // namespace
}  // namespace dfs::net::testing
