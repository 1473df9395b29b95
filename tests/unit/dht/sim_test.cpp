// The simulator itself: virtual time, network latency, loss, churn and
// determinism. The DHT tests rely on these properties.
#include <gtest/gtest.h>

#include "sim/event_loop.hpp"
#include "sim/sim_cluster.hpp"
#include "sim/sim_network.hpp"

namespace dfs::sim {
namespace {

using dht::Contact;
using dht::NodeId;
using dht::Reply;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(EventLoop, RunsEventsInTimeOrderAndTiesInSchedulingOrder) {
  EventLoop loop;
  std::vector<int> order;
  loop.schedule(milliseconds(20), [&] { order.push_back(3); });
  loop.schedule(milliseconds(10), [&] { order.push_back(1); });
  loop.schedule(milliseconds(10), [&] { order.push_back(2); });
  const TimePoint start = loop.now();
  while (loop.run_one()) {
  }
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(loop.now() - start, milliseconds(20));
}

TEST(EventLoop, ACancelledTimerNeverRuns) {
  EventLoop loop;
  bool ran = false;
  const auto timer = loop.schedule(milliseconds(5), [&] { ran = true; });
  loop.cancel(timer);
  loop.cancel(timer);  // twice is harmless
  EXPECT_FALSE(loop.run_one());
  EXPECT_FALSE(ran);
}

TEST(EventLoop, RunUntilStopsAtTheDeadline) {
  EventLoop loop;
  int ticks = 0;
  std::function<void()> tick = [&] {
    ++ticks;
    loop.schedule(seconds(1), tick);
  };
  loop.schedule(seconds(1), tick);
  const TimePoint start = loop.now();
  EXPECT_FALSE(loop.run_until([] { return false; }, start + milliseconds(10'500)));
  EXPECT_EQ(ticks, 10);
  EXPECT_EQ(loop.now(), start + milliseconds(10'500));
}

class SimNetworkTest : public ::testing::Test {
 protected:
  SimNetworkTest() {
    client = &network.attach(a, nullptr);
    network.attach(b, [this](const Contact& from, const dht::Request&) {
      callers.push_back(from);
      return dht::Response{dht::PingResponse{}};
    });
  }
  std::optional<Result<Reply>> ping(const Contact& to) {
    std::optional<Result<Reply>> out;
    client->send(to, dht::PingRequest{}, [&](Result<Reply> r) { out = std::move(r); });
    loop.run_until([&] { return out.has_value(); }, loop.now() + seconds(10));
    return out;
  }

  EventLoop loop;
  SimNetwork network{loop, NetworkConfig{}};
  Contact a{NodeId::random(), "sim:a"};
  Contact b{NodeId::random(), "sim:b"};
  dht::Transport* client = nullptr;
  std::vector<Contact> callers;
};

TEST_F(SimNetworkTest, AReplyArrivesAfterTwoLatencies) {
  const TimePoint start = loop.now();
  auto r = ping(b);
  ASSERT_TRUE(r && r->ok());
  EXPECT_EQ((*r)->from, b);
  EXPECT_GE(loop.now() - start, milliseconds(10));
  EXPECT_LE(loop.now() - start, milliseconds(100));
  ASSERT_EQ(callers.size(), 1u);
  EXPECT_EQ(callers[0], a);
}

TEST_F(SimNetworkTest, AnUnknownIdIsLearntFromTheReply) {
  auto r = ping(Contact{NodeId{}, b.address});
  ASSERT_TRUE(r && r->ok());
  EXPECT_EQ((*r)->from.id, b.id);
}

TEST_F(SimNetworkTest, APeerWithAnotherIdIsUnavailable) {
  auto r = ping(Contact{NodeId::random(), b.address});
  ASSERT_TRUE(r && !r->ok());
  EXPECT_EQ(r->error().code, Errc::unavailable);
  EXPECT_TRUE(callers.empty());
}

TEST_F(SimNetworkTest, AKilledNodeTimesOutAndARevivedOneAnswers) {
  network.kill(b.address);
  const TimePoint start = loop.now();
  auto r = ping(b);
  ASSERT_TRUE(r && !r->ok());
  EXPECT_EQ(r->error().code, Errc::timed_out);
  EXPECT_EQ(loop.now() - start, network.config().timeout);
  network.revive(b.address);
  auto again = ping(b);
  EXPECT_TRUE(again && again->ok());
}

TEST_F(SimNetworkTest, TotalLossTimesEveryRequestOut) {
  network.set_loss(1.0);
  auto r = ping(b);
  ASSERT_TRUE(r && !r->ok());
  EXPECT_EQ(r->error().code, Errc::timed_out);
}

TEST_F(SimNetworkTest, PartialLossDropsAboutThatShareOfMessages) {
  network.set_loss(0.1);
  int failed = 0;
  for (int i = 0; i < 1000; ++i) failed += ping(b)->ok() ? 0 : 1;
  // A request or its reply is lost: 1 - 0.9^2 = 19%.
  EXPECT_GT(failed, 140);
  EXPECT_LT(failed, 240);
}

std::vector<std::size_t> lookup_trace(std::uint64_t seed) {
  ClusterConfig config;
  config.seed = seed;
  SimCluster cluster(config);
  EXPECT_TRUE(cluster.grow(40));
  // Loss after the joins: a join whose seed's answers are all lost fails,
  // which would make the trace depend on luck rather than on the seed.
  cluster.network().set_loss(0.02);
  std::vector<std::size_t> trace;
  for (int i = 0; i < 10; ++i) {
    auto r = cluster.lookup(cluster.random_live_node(), NodeId::random(cluster.rng()));
    trace.push_back(r->stats.messages);
    trace.push_back(static_cast<std::size_t>(r->stats.duration.count()));
  }
  trace.push_back(cluster.loop().events_run());
  return trace;
}

TEST(SimCluster, ARunIsDeterministicGivenItsSeed) {
  EXPECT_EQ(lookup_trace(5), lookup_trace(5));
  EXPECT_NE(lookup_trace(5), lookup_trace(6));
}

}  // namespace
}  // namespace dfs::sim
