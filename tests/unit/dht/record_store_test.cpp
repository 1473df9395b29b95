#include <gtest/gtest.h>

#include "dfs/dht/record_store.hpp"

namespace dfs::dht {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

TimePoint at(int s) { return TimePoint{} + hours(1) + seconds(s); }

Record record(const NodeId& key, const NodeId& publisher, std::uint32_t ttl, std::string value = "v") {
  return Record{key, Bytes(value.begin(), value.end()), ttl, publisher};
}

class RecordStoreTest : public ::testing::Test {
 protected:
  NodeId key = NodeId::random();
  NodeId alice = NodeId::random();
  NodeId bob = NodeId::random();
  RecordStore store{1000, hours(24)};
};

TEST_F(RecordStoreTest, AStoredRecordIsReturnedWithTheTtlItHasLeft) {
  ASSERT_TRUE(store.put(record(key, alice, 100), at(0)));
  auto got = store.get(key, at(30));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].ttl_seconds, 70u);
  EXPECT_EQ(got[0].publisher, alice);
}

TEST_F(RecordStoreTest, ARecordExpiresWhenItsTtlRunsOut) {
  ASSERT_TRUE(store.put(record(key, alice, 100), at(0)));
  EXPECT_TRUE(store.get(key, at(100)).empty());
  EXPECT_EQ(store.expire(at(100)), 1u);
  EXPECT_EQ(store.size(), 0u);
}

TEST_F(RecordStoreTest, TheTtlIsCappedByTheStoresMaximum) {
  RecordStore short_lived{10, seconds(60)};
  ASSERT_TRUE(short_lived.put(record(key, alice, 3600), at(0)));
  EXPECT_EQ(short_lived.get(key, at(0))[0].ttl_seconds, 60u);
}

TEST_F(RecordStoreTest, AKeyHoldsOneRecordPerPublisher) {
  ASSERT_TRUE(store.put(record(key, alice, 100, "a1"), at(0)));
  ASSERT_TRUE(store.put(record(key, bob, 100, "b"), at(0)));
  ASSERT_TRUE(store.put(record(key, alice, 100, "a2"), at(10)));
  auto got = store.get(key, at(10));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(store.size(), 2u);
  for (const auto& r : got) {
    if (r.publisher == alice) {
      EXPECT_EQ(r.value, Bytes({'a', '2'}));
    }
  }
}

TEST_F(RecordStoreTest, AnOlderCopyDoesNotRollBackANewerOne) {
  ASSERT_TRUE(store.put(record(key, alice, 100, "new"), at(50)));
  ASSERT_TRUE(store.put(record(key, alice, 20, "old"), at(60)));  // expires earlier
  EXPECT_EQ(store.get(key, at(60))[0].value, Bytes({'n', 'e', 'w'}));
}

TEST_F(RecordStoreTest, AKeyAcceptsABoundedNumberOfPublishers) {
  for (std::size_t i = 0; i < kMaxRecordsPerKey; ++i) ASSERT_TRUE(store.put(record(key, NodeId::random(), 100), at(0)));
  EXPECT_FALSE(store.put(record(key, NodeId::random(), 100), at(0)));
  EXPECT_EQ(store.get(key, at(0)).size(), kMaxRecordsPerKey);
}

TEST_F(RecordStoreTest, AFullStoreRefusesNewRecords) {
  RecordStore tiny{2, hours(1)};
  EXPECT_TRUE(tiny.put(record(NodeId::random(), alice, 10), at(0)));
  EXPECT_TRUE(tiny.put(record(NodeId::random(), alice, 10), at(0)));
  EXPECT_FALSE(tiny.put(record(NodeId::random(), alice, 10), at(0)));
  EXPECT_EQ(tiny.size(), 2u);
}

TEST_F(RecordStoreTest, InvalidRecordsAreRefused) {
  EXPECT_FALSE(store.put(record(key, alice, 0), at(0)));
  EXPECT_FALSE(store.put(record(NodeId{}, alice, 10), at(0)));
  EXPECT_FALSE(store.put(record(key, NodeId{}, 10), at(0)));
  EXPECT_FALSE(store.put(record(key, alice, 10, std::string(kMaxRecordValueSize + 1, 'x')), at(0)));
  EXPECT_TRUE(store.put(record(key, alice, 10, std::string(kMaxRecordValueSize, 'x')), at(0)));
}

TEST_F(RecordStoreTest, RecordsNotReceivedForAnIntervalAreDueForReplicationOnce) {
  ASSERT_TRUE(store.put(record(key, alice, 7200), at(0)));
  EXPECT_TRUE(store.take_due_for_replication(at(1000), hours(1)).empty());
  auto due = store.take_due_for_replication(at(3600), hours(1));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].ttl_seconds, 3600u);
  EXPECT_TRUE(store.take_due_for_replication(at(3601), hours(1)).empty());
}

}  // namespace
}  // namespace dfs::dht
