#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "dfs/dht/node_id.hpp"

namespace dfs::dht {
namespace {

NodeId id_with_byte(std::size_t index, std::uint8_t value) {
  NodeId id;
  id.bytes[index] = value;
  return id;
}

TEST(NodeId, DistanceIsTheXorOfTheTwoIds) {
  const NodeId a = id_with_byte(0, 0b1100);
  const NodeId b = id_with_byte(0, 0b1010);
  EXPECT_EQ(distance(a, b), id_with_byte(0, 0b0110));
  EXPECT_EQ(distance(a, a), NodeId{});
  EXPECT_EQ(distance(a, b), distance(b, a));
}

TEST(NodeId, CloserComparesDistancesAsBigEndianNumbers) {
  const NodeId target;
  const NodeId near = id_with_byte(31, 0xff);  // distance 255
  const NodeId far = id_with_byte(30, 0x01);   // distance 256
  EXPECT_TRUE(closer(target, near, far));
  EXPECT_FALSE(closer(target, far, near));
  EXPECT_FALSE(closer(target, near, near));
}

TEST(NodeId, CommonPrefixLengthCountsLeadingEqualBits) {
  EXPECT_EQ(common_prefix_length(NodeId{}, NodeId{}), 256u);
  EXPECT_EQ(common_prefix_length(NodeId{}, id_with_byte(0, 0x80)), 0u);
  EXPECT_EQ(common_prefix_length(NodeId{}, id_with_byte(0, 0x01)), 7u);
  EXPECT_EQ(common_prefix_length(NodeId{}, id_with_byte(31, 0x01)), 255u);
}

TEST(NodeId, BucketIndexIsTheFloorOfLog2OfTheDistance) {
  EXPECT_EQ(bucket_index(NodeId{}, id_with_byte(31, 0x01)), 0u);
  EXPECT_EQ(bucket_index(NodeId{}, id_with_byte(31, 0x03)), 1u);
  EXPECT_EQ(bucket_index(NodeId{}, id_with_byte(30, 0x01)), 8u);
  EXPECT_EQ(bucket_index(NodeId{}, id_with_byte(0, 0xff)), 255u);
}

TEST(NodeId, RandomIdInBucketFallsInThatBucket) {
  std::mt19937_64 rng(7);
  const NodeId self = NodeId::random(rng);
  for (std::size_t index : {0u, 1u, 7u, 8u, 100u, 254u, 255u}) {
    for (int i = 0; i < 20; ++i) EXPECT_EQ(bucket_index(self, random_id_in_bucket(self, index, rng)), index);
  }
}

TEST(NodeId, SeededRandomIdsRepeatAndDiffer) {
  std::mt19937_64 a(42), b(42);
  const NodeId first = NodeId::random(a);
  EXPECT_EQ(first, NodeId::random(b));
  EXPECT_NE(first, NodeId::random(a));
  EXPECT_NE(NodeId::random(), NodeId::random());
}

TEST(NodeId, HexRoundTripsAndRejectsBadText) {
  const NodeId id = NodeId::random();
  auto parsed = NodeId::from_hex(id.hex());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, id);
  EXPECT_EQ(id.short_hex(), id.hex().substr(0, 12));
  EXPECT_FALSE(NodeId::from_hex("abc").ok());
  EXPECT_FALSE(NodeId::from_hex(std::string(64, 'z')).ok());
}

TEST(NodeId, AChunkIdMapsToTheSameBytes) {
  const ChunkId chunk = ChunkId::of(as_bytes("sealed bytes"));
  EXPECT_EQ(NodeId::from_chunk(chunk).bytes, chunk.bytes);
}

TEST(NodeId, OnlyTheAllZeroIdIsZero) {
  EXPECT_TRUE(NodeId{}.is_zero());
  EXPECT_FALSE(id_with_byte(31, 1).is_zero());
}

}  // namespace
}  // namespace dfs::dht
