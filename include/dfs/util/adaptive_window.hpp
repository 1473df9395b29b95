// AdaptiveWindow: how many fetches to keep in flight when their speed is
// bounded by the round trip (the bandwidth-delay product), which nobody
// knows in advance: 16 chunks fill a loopback link, an ocean needs more.
//
// It starts at `min` and measures rounds: a round ends once as many jobs
// completed as the window was wide when it began. While a round moved at
// least kGain more bytes per second than the best round before, the window
// doubles (up to `max`), as TCP's slow start does per round trip: across
// 80 ms a get's first rounds each take a round trip or more, and widening
// by half took four of them (16, 24, 36, 54, 64) to reach the widest
// window, most of a 256 MiB get; doubling takes two. A round that gained less keeps the width;
// kStalledRounds of them in a row end the growth, since a wider window no
// longer bought speed (the link, not the round trip, is the bound). One
// alone does not: across a long round trip a round is often slow for
// other reasons (connections still in TCP slow start, a busy CPU), and
// ending there left a get at a fraction of the bandwidth-delay product.
// A failed job halves the window (never below `min`) and ends the growth:
// timeouts and refusals mean that peers or the path are saturated.
// Jobs served without crossing the network (chunks this peer holds) are
// not measured: they finish in a few milliseconds, so a round made of them
// set a "best rate" no round of fetches could beat, and the growth ended
// two rounds later at a fraction of the bandwidth-delay product (a reader
// holding 40% of a file's chunks stopped at 32 of 64 at 80 ms).
//
// Not thread-safe: one owner (a get's consuming thread).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace dfs {

class AdaptiveWindow {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr double kGain = 1.1;
  static constexpr std::size_t kStalledRounds = 2;

  AdaptiveWindow(std::size_t min, std::size_t max, Clock::time_point now);

  std::size_t size() const { return size_; }
  bool growing() const { return growing_; }

  enum class Served { locally, over_network };
  // One job completed with `bytes` at `now`; only jobs served over the
  // network count towards a round.
  void completed(std::uint64_t bytes, Clock::time_point now, Served served);
  void failed();

 private:
  std::size_t min_;
  std::size_t max_;
  std::size_t size_;
  bool growing_ = true;
  // The round in progress.
  Clock::time_point round_start_;
  std::size_t round_jobs_ = 0;
  std::uint64_t round_bytes_ = 0;
  double best_rate_ = 0;  // bytes per second of the fastest round so far, 0 before the first
  std::size_t stalled_rounds_ = 0;  // rounds in a row that gained less than kGain
};

}  // namespace dfs
