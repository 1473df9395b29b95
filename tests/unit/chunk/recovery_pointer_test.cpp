#include "dfs/chunk/recovery_pointer.hpp"

#include <gtest/gtest.h>

#include "dfs/chunk/sealed_chunk.hpp"

namespace dfs {
namespace {

SnapshotRef snapshot(std::int64_t taken_at, std::uint8_t fill = 1) {
  SnapshotRef s;
  s.root.kind = IdKind::directory;
  s.root.manifest.bytes.fill(fill);
  s.root.key = crypto::SecretKey::generate();
  s.taken_at = taken_at;
  s.files = 10;
  s.bytes = 1000;
  return s;
}

TEST(RecoveryPointer, SealedRoundTripOpensOnlyWithItsKey) {
  RecoveryPointer p{{snapshot(100, 1), snapshot(50, 2)}};
  const auto key = crypto::SecretKey::generate();
  const Bytes sealed = seal_pointer(key, p);
  auto opened = open_pointer(key, sealed);
  ASSERT_TRUE(opened.ok()) << opened.error().to_string();
  EXPECT_EQ(opened->snapshots, p.snapshots);
  EXPECT_EQ(open_pointer(crypto::SecretKey::generate(), sealed).error().code, Errc::corrupt);
}

TEST(RecoveryPointer, AFullPointerFitsASignedRecord) {
  RecoveryPointer p;
  for (std::size_t i = 0; i < kMaxPointerSnapshots; ++i) p.snapshots.push_back(snapshot(1000 - static_cast<int>(i)));
  // dht/signed_record.hpp: kMaxRecordValueSize (1024) less its 105 bytes of header and signature.
  EXPECT_LE(seal_pointer(crypto::SecretKey::generate(), p).size(), 1024u - 105u);
}

TEST(RecoveryPointer, MalformedPlaintextIsRejected) {
  RecoveryPointer p{{snapshot(1)}};
  Bytes good = encode_pointer(p);
  Bytes truncated(good.begin(), good.end() - 1);
  EXPECT_EQ(decode_pointer(truncated).error().code, Errc::truncated);
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_FALSE(decode_pointer(trailing).ok());
  Bytes wrong_version = good;
  wrong_version[0] = 9;
  EXPECT_EQ(decode_pointer(wrong_version).error().code, Errc::bad_version);
  Bytes none = good;
  none[1] = 0;
  EXPECT_FALSE(decode_pointer(none).ok());
  Bytes a_file = good;
  a_file[2] = static_cast<std::uint8_t>(IdKind::file);
  EXPECT_EQ(decode_pointer(a_file).error().code, Errc::corrupt);
}

TEST(RecoveryPointer, HistoryKeepsTheLatestAndAboutOneSnapshotPerFourfoldAge) {
  RecoveryPointer p;
  const std::int64_t day = 24 * 3600;
  // A snapshot every ten minutes for 60 days.
  for (std::int64_t t = 0; t <= 60 * day; t += 600) p = add_snapshot(p, snapshot(t));
  ASSERT_EQ(p.snapshots.size(), kMaxPointerSnapshots);
  EXPECT_EQ(p.snapshots[0].taken_at, 60 * day);
  for (std::size_t i = 1; i < p.snapshots.size(); ++i) {
    EXPECT_LT(p.snapshots[i].taken_at, p.snapshots[i - 1].taken_at);
  }
  // The oldest kept reaches back weeks, not minutes.
  EXPECT_LE(p.snapshots.back().taken_at, 60 * day - 14 * day);
}

}  // namespace
}  // namespace dfs
