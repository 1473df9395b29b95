// Dialer (p2p/dialer.hpp): a contact's addresses are tried in turn when one
// cannot be reached, the one that answered is tried first next time, and
// a failure that another address would not mend ends the request.
#include "dfs/p2p/dialer.hpp"

#include <gtest/gtest.h>

#include "recording_transport.hpp"

namespace dfs::p2p {
namespace {

using namespace std::chrono_literals;
using testing::RecordingTransport;

class DialerTest : public ::testing::Test {
 protected:
  DialerTest() {
    peer.id.bytes[0] = 5;
    peer.address = "127.0.0.1:4001";
    peer.more_addresses = {"[::1]:4001", "127.0.0.2:4001"};
  }
  void send() {
    dialer->request(peer, wire::Envelope{}, {}, 5s, [this](Result<net::Message> r) { results.push_back(std::move(r)); });
  }
  static Error unreachable() { return make_error(Errc::unavailable, "cannot connect: network is unreachable"); }

  RecordingTransport net;
  std::shared_ptr<Dialer> dialer = std::make_shared<Dialer>(net);
  dht::Contact peer;
  std::vector<Result<net::Message>> results;
};

TEST_F(DialerTest, TheNextAddressIsTriedWhenOneCannotBeReachedAndTheOneThatAnsweredGoesFirstNextTime) {
  send();
  EXPECT_EQ(net.answer(unreachable()), "127.0.0.1:4001");
  ASSERT_EQ(net.sent.size(), 1u);
  EXPECT_EQ(net.sent.front().expected, peer.id.bytes);
  EXPECT_EQ(net.answer(net::Message{}), "[::1]:4001");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].ok());
  EXPECT_EQ(dialer->preferred(peer.id), "[::1]:4001");

  send();
  ASSERT_EQ(net.sent.size(), 1u);
  EXPECT_EQ(net.sent.front().address, "[::1]:4001");
}

TEST_F(DialerTest, WhenEveryAddressFailsTheLastFailureIsTheAnswer) {
  send();
  net.answer(unreachable());
  net.answer(make_error(Errc::permission_denied, "another node ID"));
  EXPECT_EQ(net.answer(make_error(Errc::unavailable, "connection refused")), "127.0.0.2:4001");
  EXPECT_TRUE(net.sent.empty());
  ASSERT_EQ(results.size(), 1u);
  ASSERT_FALSE(results[0].ok());
  EXPECT_EQ(results[0].error().message, "connection refused");
  EXPECT_FALSE(dialer->preferred(peer.id).has_value());
}

TEST_F(DialerTest, ATimeoutOrTheAnswerOfThePeerIsNotTriedAtAnotherAddress) {
  send();
  net.answer(make_error(Errc::timed_out, "no answer"));
  send();
  net.answer(make_error(Errc::not_found, "no such chunk"));
  EXPECT_TRUE(net.sent.empty());
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].error().code, Errc::timed_out);
  EXPECT_EQ(results[1].error().code, Errc::not_found);
}

TEST_F(DialerTest, APingGoesOverDialedConnectionsAtEachAddress) {
  dialer->request_dialed(peer, wire::Envelope{}, 5s, [this](Result<net::Message> r) { results.push_back(std::move(r)); });
  ASSERT_TRUE(net.sent.front().dialed);
  net.answer(unreachable());
  ASSERT_EQ(net.sent.size(), 1u);
  EXPECT_TRUE(net.sent.front().dialed);
  EXPECT_EQ(net.sent.front().address, "[::1]:4001");
}

// A contact made here (not decoded from a peer, which bounds it) with too
// many addresses still costs at most kMaxAddressesPerContact attempts.
TEST_F(DialerTest, AtMostTheLimitOfAddressesAreTried) {
  for (int i = 3; i < 20; ++i) peer.more_addresses.push_back("127.0.0." + std::to_string(i) + ":4001");
  send();
  std::size_t attempts = 0;
  while (!net.sent.empty()) {
    net.answer(unreachable());
    ++attempts;
  }
  EXPECT_EQ(attempts, dht::kMaxAddressesPerContact);
  EXPECT_EQ(results.size(), 1u);
}

TEST_F(DialerTest, ACallbackAfterTheDialerIsGoneTriesNoFurtherAddress) {
  send();
  dialer.reset();
  net.answer(unreachable());
  EXPECT_TRUE(net.sent.empty());
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].ok());
}

}  // namespace
}  // namespace dfs::p2p
