#include "dfs/util/adaptive_window.hpp"

#include <gtest/gtest.h>

namespace dfs {
namespace {

using std::chrono::milliseconds;
using Clock = AdaptiveWindow::Clock;

// Completes one round of the window's width, `round` long, each job `bytes`.
void run_round(AdaptiveWindow& w, Clock::time_point& now, milliseconds round, std::uint64_t bytes = 1 << 20) {
  const std::size_t jobs = w.size();
  now += round;
  for (std::size_t i = 0; i < jobs; ++i) w.completed(bytes, now, AdaptiveWindow::Served::over_network);
}

TEST(AdaptiveWindow, WidensWhileEachWiderRoundIsFaster) {
  Clock::time_point now{};
  AdaptiveWindow w(16, 64, now);
  EXPECT_EQ(w.size(), 16u);
  // A long round trip: each round takes the same time whatever its width,
  // so a wider window moves more bytes per second.
  run_round(w, now, milliseconds(800));
  EXPECT_EQ(w.size(), 32u) << "doubled";
  run_round(w, now, milliseconds(800));
  EXPECT_EQ(w.size(), 64u);
  run_round(w, now, milliseconds(800));
  EXPECT_EQ(w.size(), 64u) << "never beyond max";
  EXPECT_TRUE(w.growing());
}

TEST(AdaptiveWindow, StopsWideningOnceTwoRoundsInARowAreNoFaster) {
  Clock::time_point now{};
  AdaptiveWindow w(16, 64, now);
  run_round(w, now, milliseconds(100));  // 16 MiB in 0.1 s
  EXPECT_EQ(w.size(), 32u);
  run_round(w, now, milliseconds(200));  // 32 MiB in 0.2 s: no faster, the width is kept
  EXPECT_EQ(w.size(), 32u);
  EXPECT_TRUE(w.growing());
  run_round(w, now, milliseconds(200));  // again: the link is full
  EXPECT_EQ(w.size(), 32u);
  EXPECT_FALSE(w.growing());
  run_round(w, now, milliseconds(10));  // faster again: the growth stays over
  EXPECT_EQ(w.size(), 32u);
}

// Across a long round trip the first rounds run on connections still in
// TCP slow start: one slow round must not end the growth there.
TEST(AdaptiveWindow, OneRoundThatGainedNothingDoesNotEndTheGrowth) {
  Clock::time_point now{};
  AdaptiveWindow w(16, 64, now);
  run_round(w, now, milliseconds(100));  // 160 MiB/s
  EXPECT_EQ(w.size(), 32u);
  run_round(w, now, milliseconds(400));  // 80 MiB/s: slower, kept at 32
  EXPECT_EQ(w.size(), 32u);
  run_round(w, now, milliseconds(100));  // 320 MiB/s: faster than any before
  EXPECT_EQ(w.size(), 64u);
  EXPECT_TRUE(w.growing());
}

// A reader that holds some of a file's chunks itself: they complete at
// once, between the fetches, and must not pass for a round (one such
// round of 16 MiB in 2 ms set a best rate that no round of fetches at
// 80 ms could beat, and the growth stopped at 32).
TEST(AdaptiveWindow, ChunksServedLocallyAreNotMeasured) {
  Clock::time_point now{};
  AdaptiveWindow w(16, 64, now);
  now += milliseconds(2);
  for (int i = 0; i < 16; ++i) w.completed(1 << 20, now, AdaptiveWindow::Served::locally);
  EXPECT_EQ(w.size(), 16u) << "no round ended";
  run_round(w, now, milliseconds(800));
  EXPECT_EQ(w.size(), 32u);
  now += milliseconds(2);
  for (int i = 0; i < 32; ++i) w.completed(1 << 20, now, AdaptiveWindow::Served::locally);
  run_round(w, now, milliseconds(800));
  EXPECT_EQ(w.size(), 64u) << "each round of fetches moved more than the one before";
  EXPECT_TRUE(w.growing());
}

TEST(AdaptiveWindow, AFailureHalvesTheWindowButNotBelowItsMinimum) {
  Clock::time_point now{};
  AdaptiveWindow w(4, 64, now);
  for (int i = 0; i < 3; ++i) run_round(w, now, milliseconds(100));
  EXPECT_EQ(w.size(), 32u);  // 4 -> 8 -> 16 -> 32
  w.failed();
  EXPECT_EQ(w.size(), 16u);
  w.failed();
  EXPECT_EQ(w.size(), 8u);
  w.failed();
  EXPECT_EQ(w.size(), 4u);
  EXPECT_FALSE(w.growing());
}

TEST(AdaptiveWindow, ADegenerateRangeIsOneFixedWidth) {
  Clock::time_point now{};
  AdaptiveWindow w(0, 0, now);
  EXPECT_EQ(w.size(), 1u);
  run_round(w, now, milliseconds(1));
  EXPECT_EQ(w.size(), 1u);
}

}  // namespace
}  // namespace dfs
