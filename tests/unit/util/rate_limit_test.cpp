// Token buckets on a clock the tests move.
#include "dfs/util/rate_limit.hpp"

#include <gtest/gtest.h>

namespace dfs {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const SteadyTime kStart{};

TEST(TokenBucket, AFullBucketGivesItsBurstThenRefillsAtItsRate) {
  TokenBucket bucket(/*rate=*/10, /*burst=*/20, kStart);
  EXPECT_TRUE(bucket.take(20, kStart));
  EXPECT_FALSE(bucket.take(1, kStart));
  EXPECT_FALSE(bucket.take(2, kStart + milliseconds(100)));  // one token back so far
  EXPECT_TRUE(bucket.take(1, kStart + milliseconds(100)));
  EXPECT_TRUE(bucket.take(10, kStart + milliseconds(1100)));
  EXPECT_FALSE(bucket.full(kStart + milliseconds(1100)));
  EXPECT_TRUE(bucket.full(kStart + seconds(10)));
}

TEST(TokenBucket, ARequestLargerThanTheBurstPassesOnlyFromAFullBucket) {
  TokenBucket bucket(/*rate=*/1, /*burst=*/4, kStart);
  EXPECT_TRUE(bucket.take(16, kStart));  // in debt: 12 seconds to be full again
  EXPECT_FALSE(bucket.take(1, kStart + seconds(11)));
  EXPECT_TRUE(bucket.take(16, kStart + seconds(16)));
}

TEST(KeyedRateLimiter, EachKeyHasItsOwnBucketsForBytesAndRequests) {
  KeyedRateLimiter limiter({/*bytes_per_second=*/100, /*requests_per_second=*/2, /*burst_seconds=*/1}, 8);
  EXPECT_TRUE(limiter.admit("a", 60, kStart));
  EXPECT_FALSE(limiter.admit("a", 60, kStart));  // bytes
  EXPECT_TRUE(limiter.admit("b", 60, kStart));   // another key is not slowed
  EXPECT_TRUE(limiter.admit("b", 1, kStart));
  EXPECT_FALSE(limiter.admit("b", 1, kStart));  // requests
  EXPECT_TRUE(limiter.admit("a", 60, kStart + seconds(1)));
}

TEST(KeyedRateLimiter, ARequestRefusedForItsBytesSpendsNoRequest) {
  KeyedRateLimiter limiter({/*bytes_per_second=*/100, /*requests_per_second=*/1, /*burst_seconds=*/2}, 8);
  EXPECT_TRUE(limiter.admit("a", 200, kStart));   // every byte, one of two requests
  EXPECT_FALSE(limiter.admit("a", 200, kStart));  // no bytes left
  EXPECT_TRUE(limiter.admit("a", 0, kStart));     // the second request is still there
}

TEST(KeyedRateLimiter, NewKeysBeyondTheTableAreRefusedUntilOldOnesAreIdle) {
  KeyedRateLimiter limiter({100, 10, 1}, 2);
  EXPECT_TRUE(limiter.admit("a", 100, kStart));
  EXPECT_TRUE(limiter.admit("b", 100, kStart));
  EXPECT_FALSE(limiter.admit("c", 1, kStart));
  EXPECT_EQ(limiter.keys(), 2u);
  EXPECT_TRUE(limiter.admit("c", 1, kStart + seconds(5)));  // a and b were full again: forgotten
  EXPECT_EQ(limiter.keys(), 1u);
}

TEST(KeyedRateLimiter, ARateOfZeroIsNoLimit) {
  KeyedRateLimiter limiter({0, 0, 1}, 2);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(limiter.admit("a", 1 << 20, kStart));
}

}  // namespace
}  // namespace dfs
