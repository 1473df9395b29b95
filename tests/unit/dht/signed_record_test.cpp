// Signed mutable records: the codec, and how a RecordStore keeps them (one
// per key, the highest sequence, never rolled back).
#include "dfs/dht/signed_record.hpp"

#include <gtest/gtest.h>

#include "dfs/dht/record_store.hpp"

namespace dfs::dht {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

TimePoint at(int s) { return TimePoint{} + hours(1) + seconds(s); }

class SignedRecordTest : public ::testing::Test {
 protected:
  crypto::SigningKey writer = crypto::SigningKey::from_seed(crypto::SecretKey::generate());
  NodeId key = signed_record_key(writer.public_key());

  Record record(std::uint64_t sequence, std::string payload = "p", NodeId publisher = NodeId::random(),
                std::uint32_t ttl = 3600) {
    Bytes value = encode_signed_value(writer, sequence, as_bytes(payload)).value();
    return Record{key, std::move(value), ttl, publisher};
  }
};

TEST_F(SignedRecordTest, RoundTripsItsPayloadSequenceAndWriter) {
  const Record r = record(42, "hello");
  auto value = verify_signed_record(r);
  ASSERT_TRUE(value.ok()) << value.error().to_string();
  EXPECT_EQ(value->sequence, 42u);
  EXPECT_EQ(value->public_key, writer.public_key());
  EXPECT_EQ(value->payload, Bytes(as_bytes(std::string_view("hello")).begin(), as_bytes(std::string_view("hello")).end()));
  EXPECT_TRUE(validate_record(r).ok());
}

TEST_F(SignedRecordTest, AnyFlippedBitMakesTheRecordInvalid) {
  const Record good = record(7, "payload");
  for (std::size_t i = 1; i < good.value.size(); ++i) {
    Record bad = good;
    bad.value[i] ^= 0x01;
    EXPECT_FALSE(validate_record(bad).ok()) << "byte " << i;
  }
}

TEST_F(SignedRecordTest, ARecordUnderAnotherKeyIsInvalid) {
  Record moved = record(1);
  moved.key = NodeId::random();
  EXPECT_EQ(verify_signed_record(moved).error().code, Errc::corrupt);
  EXPECT_FALSE(validate_record(moved).ok());
}

TEST_F(SignedRecordTest, TruncatedAndOversizedValuesAreRejected) {
  Record r = record(1);
  r.value.resize(kSignedValueOverhead - 1);
  EXPECT_EQ(decode_signed_value(r.value).error().code, Errc::truncated);
  EXPECT_EQ(encode_signed_value(writer, 1, Bytes(kMaxSignedPayload + 1)).error().code, Errc::too_large);
  EXPECT_TRUE(encode_signed_value(writer, 1, Bytes(kMaxSignedPayload)).ok());
}

TEST_F(SignedRecordTest, LatestSignedPicksTheHighestSequenceAndRefusesARollback) {
  std::vector<Record> records{record(3), record(9), record(5)};
  records.push_back(Record{key, Bytes{1, 2, 3}, 60, NodeId::random()});  // junk under the key
  auto latest = latest_signed(records, writer.public_key());
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->sequence, 9u);
  EXPECT_EQ(latest_signed(records, writer.public_key(), 10).error().code, Errc::corrupt);
  const auto stranger = crypto::SigningKey::from_seed(crypto::SecretKey::generate());
  EXPECT_EQ(latest_signed(records, stranger.public_key()).error().code, Errc::not_found);
}

TEST_F(SignedRecordTest, TheStoreKeepsOnePerKeyAndANewerSequenceReplacesItFromAnyPublisher) {
  RecordStore store{100, hours(24), hours(24 * 31)};
  ASSERT_TRUE(store.put(record(1), at(0)));
  ASSERT_TRUE(store.put(record(2), at(1)));  // another machine took over
  auto got = store.get(key, at(2));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(signed_sequence(got[0]), 2u);
}

TEST_F(SignedRecordTest, TheStoreRefusesAReplayedOlderSequence) {
  RecordStore store{100, hours(24)};
  const Record old = record(1);
  ASSERT_TRUE(store.put(old, at(0)));
  ASSERT_TRUE(store.put(record(2), at(1)));
  EXPECT_FALSE(store.put(old, at(2)));
  EXPECT_EQ(signed_sequence(store.get(key, at(3)).at(0)), 2u);
}

TEST_F(SignedRecordTest, SignedRecordsMayOutliveThePlainRecordExpiry) {
  RecordStore store{100, hours(24), hours(24 * 31)};
  ASSERT_TRUE(store.put(record(1, "p", NodeId::random(), 30 * 24 * 3600), at(0)));
  EXPECT_EQ(store.get(key, at(0)).at(0).ttl_seconds, 30u * 24 * 3600);
}

TEST_F(SignedRecordTest, JunkFillingTheKeyCannotKeepTheSignedRecordOut) {
  RecordStore store{100, hours(24)};
  for (std::size_t i = 0; i < kMaxRecordsPerKey; ++i) {
    ASSERT_TRUE(store.put(Record{key, Bytes{1}, 60, NodeId::random()}, at(0)));
  }
  ASSERT_TRUE(store.put(record(1), at(1)));
  auto latest = latest_signed(store.get(key, at(2)), writer.public_key());
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->sequence, 1u);
}

}  // namespace
}  // namespace dfs::dht
