// When the namespace's snapshots are published: a new root each time,
// nothing for an unchanged one, again after a restart, never on a failure.
#include "dfs/node/snapshot_scheduler.hpp"

#include <gtest/gtest.h>

#include <atomic>

#include "../../common/eventually.hpp"
#include "../../common/temp_dir.hpp"
#include "store_board.hpp"

namespace dfs::node {
namespace {

using doubles::snapshot;
using doubles::StoreBoard;
using std::chrono::milliseconds;

class SnapshotSchedulerTest : public ::testing::Test {
 protected:
  // The namespace as the source reports it; `changes` makes a new root.
  Result<SnapshotRef> take() {
    ++taken;
    if (failing) return make_error(Errc::io_error, "the index is unreadable");
    return snapshot(changes.load());
  }

  testing::TempDir dir{"dfs-snapshot-scheduler-test"};
  StoreBoard board;
  const crypto::RecoveryKey key = crypto::RecoveryKey::generate();
  std::int64_t now = 1'700'000'000;
  UnixClock clock = [this] { return now; };
  PointerPublisher publisher{key, board, dir.file(kRecoveryStateFile), clock};
  SnapshotSource source = [this] { return take(); };
  std::atomic<int> changes{1};
  std::atomic<int> taken{0};
  std::atomic<bool> failing{false};
};

TEST_F(SnapshotSchedulerTest, ANewRootIsPublishedAndAnUnchangedOneIsNot) {
  SnapshotScheduler scheduler(source, publisher, milliseconds(0), clock);
  auto first = scheduler.take_now();
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  EXPECT_TRUE(first->published);
  EXPECT_EQ(first->snapshot.taken_at, now);
  auto same = scheduler.take_now();
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(same->published);
  EXPECT_EQ(same->sequence, first->sequence);
  changes = 2;
  auto second = scheduler.take_now();
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->published);
  EXPECT_GT(second->sequence, first->sequence);
  auto found = find_pointer(key, board);
  ASSERT_TRUE(found.ok()) << found.error().to_string();
  EXPECT_EQ(found->pointer.snapshots.size(), 2u);
  EXPECT_EQ(found->pointer.snapshots.front().root, snapshot(2).root);
}

TEST_F(SnapshotSchedulerTest, ARestartedMountRepublishesTheSameRootUnderANewSequence) {
  std::uint64_t before = 0;
  {
    SnapshotScheduler scheduler(source, publisher, milliseconds(0), clock);
    before = scheduler.take_now().value().sequence;
  }
  PointerPublisher restarted(key, board, dir.file(kRecoveryStateFile), clock);
  SnapshotScheduler scheduler(source, restarted, milliseconds(0), clock);
  EXPECT_FALSE(scheduler.take_now().value().published);  // the root it knows from its state
  auto again = scheduler.take_now(true);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->published);
  EXPECT_GT(again->sequence, before);
  EXPECT_EQ(find_pointer(key, board).value().pointer.snapshots.size(), 1u);  // not a second entry
}

TEST_F(SnapshotSchedulerTest, AFailedSnapshotPublishesNothingAndIsReported) {
  SnapshotScheduler scheduler(source, publisher, milliseconds(0), clock);
  failing = true;
  EXPECT_EQ(scheduler.take_now().error().code, Errc::io_error);
  EXPECT_EQ(board.published.load(), 0);
  EXPECT_EQ(find_pointer(key, board).error().code, Errc::not_found);
}

TEST_F(SnapshotSchedulerTest, TheIntervalThreadPublishesEachNewRootOnItsOwn) {
  SnapshotScheduler scheduler(source, publisher, milliseconds(1), clock);
  ASSERT_TRUE(testing::eventually([&] { return find_pointer(key, board).ok(); }));
  changes = 2;
  ASSERT_TRUE(testing::eventually([&] {
    auto found = find_pointer(key, board);
    return found.ok() && found->pointer.snapshots.size() == 2;
  }));
}

}  // namespace
}  // namespace dfs::node
