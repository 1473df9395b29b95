// The recovery key in the data directory and the pointer published with it,
// over a RecordBoard that keeps records as DHT nodes do (dht::RecordStore).
#include "dfs/node/recovery.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "../../common/temp_dir.hpp"
#include "store_board.hpp"
#include "dfs/dht/signed_record.hpp"

namespace dfs::node {
namespace {

using doubles::snapshot;
using doubles::StoreBoard;

class RecoveryTest : public ::testing::Test {
 protected:
  testing::TempDir dir{"dfs-recovery-test"};
  StoreBoard board;
  std::int64_t now = 1'700'000'000;
  UnixClock clock = [this] { return now; };
};

TEST_F(RecoveryTest, TheKeyIsMadeOnceWithMode0600AndReadBackTheSame) {
  EXPECT_EQ(load_recovery_key(dir.path(), false).error().code, Errc::not_found);
  auto made = load_recovery_key(dir.path(), true);
  ASSERT_TRUE(made.ok()) << made.error().to_string();
  struct stat st{};
  ASSERT_EQ(::stat(dir.file(kRecoveryKeyFile).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(load_recovery_key(dir.path(), true)->secret(), made->secret());
  EXPECT_EQ(read_recovery_key_file(dir.file(kRecoveryKeyFile))->secret(), made->secret());
}

TEST_F(RecoveryTest, AnOversizedOrMistypedKeyFileIsRefused) {
  std::ofstream(dir.file("big")) << std::string(10000, '#');
  EXPECT_EQ(read_recovery_key_file(dir.file("big")).error().code, Errc::too_large);
  std::string text = crypto::RecoveryKey::generate().to_text();
  text[8] = text[8] == 'a' ? 'b' : 'a';
  std::ofstream(dir.file("typo")) << text << "\n";
  EXPECT_EQ(read_recovery_key_file(dir.file("typo")).error().code, Errc::corrupt);
}

TEST_F(RecoveryTest, APublishedSnapshotIsFoundWithTheKeyAndOnlyWithIt) {
  const auto key = crypto::RecoveryKey::generate();
  PointerPublisher publisher(key, board, dir.file(kRecoveryStateFile), clock);
  const SnapshotRef s = snapshot(now);
  ASSERT_TRUE(publisher.publish(s).ok());
  auto found = find_pointer(key, board);
  ASSERT_TRUE(found.ok()) << found.error().to_string();
  EXPECT_EQ(found->pointer.snapshots.at(0), s);
  EXPECT_EQ(found->sequence, publisher.sequence());
  EXPECT_EQ(find_pointer(crypto::RecoveryKey::generate(), board).error().code, Errc::not_found);
}

TEST_F(RecoveryTest, ARestartedPublisherKeepsItsHistoryAndGoesForward) {
  const auto key = crypto::RecoveryKey::generate();
  std::uint64_t first = 0;
  {
    PointerPublisher publisher(key, board, dir.file(kRecoveryStateFile), clock);
    ASSERT_TRUE(publisher.publish(snapshot(now)).ok());
    first = publisher.sequence();
  }
  now -= 3600;  // even with a clock set back
  PointerPublisher again(key, board, dir.file(kRecoveryStateFile), clock);
  ASSERT_TRUE(again.publish(snapshot(now + 7200)).ok());
  EXPECT_GT(again.sequence(), first);
  auto found = find_pointer(key, board);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->pointer.snapshots.size(), 2u);
}

TEST_F(RecoveryTest, TheStateFileTellsTheLatestSnapshotAndADamagedOneIsSaidToBe) {
  EXPECT_EQ(read_recovery_state(dir.file(kRecoveryStateFile)).error().code, Errc::not_found);
  const auto key = crypto::RecoveryKey::generate();
  PointerPublisher publisher(key, board, dir.file(kRecoveryStateFile), clock);
  ASSERT_TRUE(publisher.publish(snapshot(now - 60)).ok());
  ASSERT_TRUE(publisher.publish(snapshot(now)).ok());
  auto state = read_recovery_state(dir.file(kRecoveryStateFile));
  ASSERT_TRUE(state.ok()) << state.error().to_string();
  EXPECT_EQ(state->sequence, publisher.sequence());
  ASSERT_EQ(state->pointer.snapshots.size(), 2u);
  EXPECT_EQ(state->pointer.snapshots.front(), snapshot(now));
  std::ofstream(dir.file(kRecoveryStateFile), std::ios::binary | std::ios::trunc) << "\x01short";
  EXPECT_EQ(read_recovery_state(dir.file(kRecoveryStateFile)).error().code, Errc::corrupt);
}

TEST_F(RecoveryTest, AReplacementMachineAdoptsThePointerAndPublishesAboveIt) {
  const auto key = crypto::RecoveryKey::generate();
  PointerPublisher lost(key, board, dir.file("lost.state"), clock);
  ASSERT_TRUE(lost.publish(snapshot(now)).ok());
  now -= 86400;  // the new machine's clock is a day behind
  PointerPublisher fresh(key, board, dir.file("fresh.state"), clock);
  ASSERT_TRUE(fresh.adopt(find_pointer(key, board).value()).ok());
  ASSERT_TRUE(fresh.publish(snapshot(now + 86400 + 60)).ok());
  auto found = find_pointer(key, board);
  ASSERT_TRUE(found.ok());
  EXPECT_GT(found->sequence, lost.sequence());
  EXPECT_EQ(found->pointer.snapshots.size(), 2u);
}

TEST_F(RecoveryTest, AReaderThatSawANewerPointerRefusesAnOlderOne) {
  const auto key = crypto::RecoveryKey::generate();
  PointerPublisher publisher(key, board, dir.file(kRecoveryStateFile), clock);
  ASSERT_TRUE(publisher.publish(snapshot(now)).ok());
  EXPECT_EQ(find_pointer(key, board, publisher.sequence() + 1).error().code, Errc::corrupt);
}

TEST_F(RecoveryTest, APointerSignedByTheKeyButSealedUnderAnotherDoesNotOpen) {
  const auto key = crypto::RecoveryKey::generate();
  RecoveryPointer p{{snapshot(now)}};
  const auto signer = key.signing_key();
  dht::Record forged{dht::signed_record_key(signer.public_key()),
                     dht::encode_signed_value(signer, 5, seal_pointer(crypto::SecretKey::generate(), p)).value(), 60,
                     {}};
  forged.publisher.bytes.fill(3);
  ASSERT_TRUE(board.offer(forged));
  EXPECT_EQ(find_pointer(key, board).error().code, Errc::corrupt);
}

}  // namespace
}  // namespace dfs::node
