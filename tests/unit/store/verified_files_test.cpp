#include "dfs/store/verified_files.hpp"

#include <gtest/gtest.h>

namespace dfs::store {
namespace {

ChunkId id_of(std::uint8_t n) {
  ChunkId id;
  id.bytes.fill(n);
  return id;
}

FileStamp stamp(std::int64_t ctime_ns) { return FileStamp{1, 2, 3, 4, ctime_ns}; }

TEST(VerifiedFiles, KnowsAFileOnlyWithTheExactStampItWasRememberedWith) {
  VerifiedFiles verified;
  verified.remember(id_of(1), stamp(10));
  EXPECT_TRUE(verified.unchanged_since_verified(id_of(1), stamp(10)));
  EXPECT_FALSE(verified.unchanged_since_verified(id_of(1), stamp(11))) << "changed since";
  EXPECT_FALSE(verified.unchanged_since_verified(id_of(2), stamp(10))) << "never checked";
}

TEST(VerifiedFiles, ForgetsWhatItIsTold) {
  VerifiedFiles verified;
  verified.remember(id_of(1), stamp(10));
  verified.forget(id_of(1));
  EXPECT_FALSE(verified.unchanged_since_verified(id_of(1), stamp(10)));
}

TEST(VerifiedFiles, KeepsAtMostItsCapacityForgettingTheOldestFirst) {
  VerifiedFiles verified(2);
  for (std::uint8_t n = 1; n <= 3; ++n) verified.remember(id_of(n), stamp(n));
  EXPECT_FALSE(verified.unchanged_since_verified(id_of(1), stamp(1)));
  EXPECT_TRUE(verified.unchanged_since_verified(id_of(2), stamp(2)));
  EXPECT_TRUE(verified.unchanged_since_verified(id_of(3), stamp(3)));
}

TEST(VerifiedFiles, StaysBoundedWhenTheSameChunksAreForgottenAndRememberedAgain) {
  VerifiedFiles verified(4);
  for (int round = 0; round < 1000; ++round) {
    verified.forget(id_of(1));
    verified.remember(id_of(1), stamp(round));
  }
  EXPECT_TRUE(verified.unchanged_since_verified(id_of(1), stamp(999)));
  for (std::uint8_t n = 2; n <= 5; ++n) verified.remember(id_of(n), stamp(n));
  EXPECT_FALSE(verified.unchanged_since_verified(id_of(1), stamp(999))) << "the oldest went first";
  EXPECT_TRUE(verified.unchanged_since_verified(id_of(5), stamp(5)));
}

TEST(VerifiedFiles, AChunkRememberedAgainIsNotEvictedByItsOlderEntry) {
  VerifiedFiles verified(2);
  verified.remember(id_of(1), stamp(1));
  verified.remember(id_of(2), stamp(2));
  verified.remember(id_of(1), stamp(3));  // now the newest
  verified.remember(id_of(3), stamp(4));  // evicts 2, the oldest live one
  EXPECT_TRUE(verified.unchanged_since_verified(id_of(1), stamp(3)));
  EXPECT_FALSE(verified.unchanged_since_verified(id_of(2), stamp(2)));
  EXPECT_TRUE(verified.unchanged_since_verified(id_of(3), stamp(4)));
}

}  // namespace
}  // namespace dfs::store
