// Token buckets: how fast another peer may make this node work (issue 10,
// per-peer limits on PUT_CHUNK). Time is passed in, never read here, so
// tests drive a fake clock.
//
// Not thread-safe: each is owned by one thread (the network thread).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>

namespace dfs {

using SteadyTime = std::chrono::steady_clock::time_point;

// `rate` tokens a second, at most `burst` saved up; starts full.
class TokenBucket {
 public:
  TokenBucket(double rate, double burst, SteadyTime now) : rate_(rate), burst_(burst), tokens_(burst), last_(now) {}

  // Takes `n` tokens if there are that many at `now` (refilled since the
  // last call); else takes nothing. A request larger than the burst is
  // taken from a full bucket (it would never fit otherwise), leaving it
  // in debt.
  bool take(double n, SteadyTime now);
  // Full again at `now`: nothing to remember about this key.
  bool full(SteadyTime now) const;

 private:
  void refill(SteadyTime now);
  double rate_;
  double burst_;
  double tokens_;
  SteadyTime last_;
};

// Two buckets per key (a peer's node ID, or its address): bytes and
// requests. At most `max_keys` keys are remembered: beyond, keys whose
// buckets are full are forgotten (they would be refilled anyway), and if
// none is, the request is refused (a flood of new keys cannot grow the
// table, nor buy fresh buckets).
class KeyedRateLimiter {
 public:
  struct Limits {
    double bytes_per_second = 0;   // 0: no limit on bytes
    double requests_per_second = 0;  // 0: no limit on requests
    double burst_seconds = 2;      // what a bucket saves up, in seconds of its rate
  };
  KeyedRateLimiter(Limits limits, std::size_t max_keys) : limits_(limits), max_keys_(max_keys) {}

  // Whether one request of `bytes` from `key` fits its buckets at `now`
  // (and if so, takes it from both).
  bool admit(const std::string& key, std::uint64_t bytes, SteadyTime now);
  std::size_t keys() const { return buckets_.size(); }
  const Limits& limits() const { return limits_; }

 private:
  struct Buckets {
    TokenBucket bytes;
    TokenBucket requests;
  };
  void forget_full(SteadyTime now);

  const Limits limits_;
  const std::size_t max_keys_;
  std::unordered_map<std::string, Buckets> buckets_;
};

}  // namespace dfs
