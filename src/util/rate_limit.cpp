#include "dfs/util/rate_limit.hpp"

#include <algorithm>

namespace dfs {

void TokenBucket::refill(SteadyTime now) {
  if (now <= last_) return;  // a clock that did not move (or went back) adds nothing
  const double elapsed = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
  last_ = now;
}

bool TokenBucket::take(double n, SteadyTime now) {
  refill(now);
  if (tokens_ >= n || tokens_ >= burst_) {
    tokens_ -= n;
    return true;
  }
  return false;
}

bool TokenBucket::full(SteadyTime now) const {
  if (now <= last_) return tokens_ >= burst_;
  const double elapsed = std::chrono::duration<double>(now - last_).count();
  return tokens_ + elapsed * rate_ >= burst_;
}

void KeyedRateLimiter::forget_full(SteadyTime now) {
  std::erase_if(buckets_, [now](const auto& entry) {
    return entry.second.bytes.full(now) && entry.second.requests.full(now);
  });
}

bool KeyedRateLimiter::admit(const std::string& key, std::uint64_t bytes, SteadyTime now) {
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) forget_full(now);
    if (buckets_.size() >= max_keys_) return false;
    // A rate of 0 means no limit: a bucket that refills at once.
    const auto bucket = [&](double rate) {
      return rate > 0 ? TokenBucket(rate, rate * limits_.burst_seconds, now) : TokenBucket(1e18, 1e18, now);
    };
    it = buckets_.emplace(key, Buckets{bucket(limits_.bytes_per_second), bucket(limits_.requests_per_second)}).first;
  }
  Buckets& b = it->second;
  // Check both before taking from either: a refused request costs nothing.
  TokenBucket bytes_after = b.bytes, requests_after = b.requests;
  if (!bytes_after.take(static_cast<double>(bytes), now) || !requests_after.take(1, now)) return false;
  b.bytes = bytes_after;
  b.requests = requests_after;
  return true;
}

}  // namespace dfs
