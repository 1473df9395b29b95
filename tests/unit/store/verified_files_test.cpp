#include "dfs/store/verified_files.hpp"

#include <gtest/gtest.h>

#include "../../common/chunk_ids.hpp"

namespace dfs::store {
namespace {

FileStamp stamp(std::int64_t ctime_ns) { return FileStamp{1, 2, 3, 4, ctime_ns}; }

TEST(VerifiedFiles, KnowsAFileOnlyWithTheExactStampItWasRememberedWith) {
  VerifiedFiles verified;
  verified.remember(testing::chunk_id_filled(1), stamp(10));
  EXPECT_TRUE(verified.unchanged_since_verified(testing::chunk_id_filled(1), stamp(10)));
  EXPECT_FALSE(verified.unchanged_since_verified(testing::chunk_id_filled(1), stamp(11))) << "changed since";
  EXPECT_FALSE(verified.unchanged_since_verified(testing::chunk_id_filled(2), stamp(10))) << "never checked";
}

TEST(VerifiedFiles, ForgetsWhatItIsTold) {
  VerifiedFiles verified;
  verified.remember(testing::chunk_id_filled(1), stamp(10));
  verified.forget(testing::chunk_id_filled(1));
  EXPECT_FALSE(verified.unchanged_since_verified(testing::chunk_id_filled(1), stamp(10)));
}

TEST(VerifiedFiles, KeepsAtMostItsCapacityForgettingTheOldestFirst) {
  VerifiedFiles verified(2);
  for (std::uint8_t n = 1; n <= 3; ++n) verified.remember(testing::chunk_id_filled(n), stamp(n));
  EXPECT_FALSE(verified.unchanged_since_verified(testing::chunk_id_filled(1), stamp(1)));
  EXPECT_TRUE(verified.unchanged_since_verified(testing::chunk_id_filled(2), stamp(2)));
  EXPECT_TRUE(verified.unchanged_since_verified(testing::chunk_id_filled(3), stamp(3)));
}

TEST(VerifiedFiles, StaysBoundedWhenTheSameChunksAreForgottenAndRememberedAgain) {
  VerifiedFiles verified(4);
  for (int round = 0; round < 1000; ++round) {
    verified.forget(testing::chunk_id_filled(1));
    verified.remember(testing::chunk_id_filled(1), stamp(round));
  }
  EXPECT_TRUE(verified.unchanged_since_verified(testing::chunk_id_filled(1), stamp(999)));
  for (std::uint8_t n = 2; n <= 5; ++n) verified.remember(testing::chunk_id_filled(n), stamp(n));
  EXPECT_FALSE(verified.unchanged_since_verified(testing::chunk_id_filled(1), stamp(999))) << "the oldest went first";
  EXPECT_TRUE(verified.unchanged_since_verified(testing::chunk_id_filled(5), stamp(5)));
}

TEST(VerifiedFiles, AChunkRememberedAgainIsNotEvictedByItsOlderEntry) {
  VerifiedFiles verified(2);
  verified.remember(testing::chunk_id_filled(1), stamp(1));
  verified.remember(testing::chunk_id_filled(2), stamp(2));
  verified.remember(testing::chunk_id_filled(1), stamp(3));  // now the newest
  verified.remember(testing::chunk_id_filled(3), stamp(4));  // evicts 2, the oldest live one
  EXPECT_TRUE(verified.unchanged_since_verified(testing::chunk_id_filled(1), stamp(3)));
  EXPECT_FALSE(verified.unchanged_since_verified(testing::chunk_id_filled(2), stamp(2)));
  EXPECT_TRUE(verified.unchanged_since_verified(testing::chunk_id_filled(3), stamp(4)));
}

TEST(VerifiedFiles, RestoresWhatItEncodedWithTheSameOrderOfEviction) {
  VerifiedFiles before(3);
  for (std::uint8_t n = 1; n <= 3; ++n) before.remember(testing::chunk_id_filled(n), stamp(n));
  before.remember(testing::chunk_id_filled(1), stamp(9));  // the newest now
  VerifiedFiles after(3);
  ASSERT_TRUE(after.restore(before.encode()).ok());
  EXPECT_TRUE(after.unchanged_since_verified(testing::chunk_id_filled(1), stamp(9)));
  EXPECT_FALSE(after.unchanged_since_verified(testing::chunk_id_filled(1), stamp(1)));
  EXPECT_TRUE(after.unchanged_since_verified(testing::chunk_id_filled(3), stamp(3)));
  after.remember(testing::chunk_id_filled(4), stamp(4));  // evicts 2, the oldest
  EXPECT_FALSE(after.unchanged_since_verified(testing::chunk_id_filled(2), stamp(2)));
  EXPECT_TRUE(after.unchanged_since_verified(testing::chunk_id_filled(1), stamp(9)));
}

TEST(VerifiedFiles, AnEmptySetEncodesAndRestores) {
  VerifiedFiles empty;
  VerifiedFiles restored;
  ASSERT_TRUE(restored.restore(empty.encode()).ok());
  EXPECT_FALSE(restored.unchanged_since_verified(testing::chunk_id_filled(1), stamp(1)));
}

TEST(VerifiedFiles, RestoresNothingFromAnEncodingWithAnyByteChanged) {
  VerifiedFiles before;
  before.remember(testing::chunk_id_filled(1), stamp(10));
  const Bytes encoded = before.encode();
  for (std::size_t at = 0; at < encoded.size(); ++at) {
    Bytes damaged = encoded;
    damaged[at] ^= 0x01;
    VerifiedFiles after;
    EXPECT_FALSE(after.restore(damaged).ok()) << "byte " << at;
    EXPECT_FALSE(after.unchanged_since_verified(testing::chunk_id_filled(1), stamp(10))) << "byte " << at;
  }
}

TEST(VerifiedFiles, RestoresNothingFromATruncatedOrExtendedEncoding) {
  VerifiedFiles before;
  before.remember(testing::chunk_id_filled(1), stamp(10));
  const Bytes encoded = before.encode();
  for (std::size_t size = 0; size < encoded.size(); ++size) {
    VerifiedFiles after;
    EXPECT_FALSE(after.restore(ByteView(encoded).first(size)).ok()) << size << " bytes";
  }
  Bytes longer = encoded;
  longer.push_back(0);
  VerifiedFiles after;
  EXPECT_FALSE(after.restore(longer).ok());
  EXPECT_FALSE(after.unchanged_since_verified(testing::chunk_id_filled(1), stamp(10)));
}

TEST(VerifiedFiles, RefusesACountLargerThanTheInputBeforeReadingIt) {
  Bytes huge{1};
  ByteWriter w(huge);
  w.u64(~std::uint64_t{0});
  huge.resize(huge.size() + 32, 0);
  VerifiedFiles after;
  Status restored = after.restore(huge);
  ASSERT_FALSE(restored.ok());
  EXPECT_EQ(restored.error().code, Errc::truncated);
}

}  // namespace
}  // namespace dfs::store
