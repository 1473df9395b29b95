// Reachability's verdicts from dial-ins and time since the join.
#include "dfs/p2p/reachability.hpp"

#include <gtest/gtest.h>

namespace dfs::p2p {
namespace {

using std::chrono::seconds;
using State = Reachability::State;

const Reachability::TimePoint t0{};

TEST(Reachability, APeerNobodyDialsWithinTheWaitAfterItJoinedIsUnreachable) {
  Reachability r(seconds(10));
  r.joined(t0);
  EXPECT_EQ(r.update(0, t0 + seconds(9)), State::unknown);
  EXPECT_EQ(r.update(0, t0 + seconds(10)), State::unreachable);
  EXPECT_NE(r.describe("127.0.0.2:4001").find("no: no peer dialed back 127.0.0.2:4001"), std::string::npos);
}

TEST(Reachability, OneConnectionDialedInMakesItReachableEvenAfterAVerdictOfUnreachable) {
  Reachability r(seconds(10));
  r.joined(t0);
  EXPECT_EQ(r.update(0, t0 + seconds(20)), State::unreachable);
  EXPECT_EQ(r.update(1, t0 + seconds(21)), State::reachable);
  EXPECT_EQ(r.describe("a:1").rfind("yes", 0), 0u);
}

TEST(Reachability, APeerThatNeverJoinedIsNotJudgedUnreachable) {
  Reachability r(seconds(1));
  EXPECT_EQ(r.update(0, t0 + seconds(100)), State::unknown);
  EXPECT_EQ(r.describe("a:1").rfind("not known yet", 0), 0u);
}

TEST(Reachability, TheWaitCountsFromTheFirstJoin) {
  Reachability r(seconds(10));
  r.joined(t0);
  r.joined(t0 + seconds(8));
  EXPECT_EQ(r.update(0, t0 + seconds(10)), State::unreachable);
}

}  // namespace
}  // namespace dfs::p2p
