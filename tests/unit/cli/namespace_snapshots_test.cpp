// A mount's namespace snapshots are published only when another peer holds
// every chunk they name (issue 15): while the peers refuse the chunks of a
// new file, the pointer stays at the older sequence; once they accept, the
// next snapshot is published.
#include "../../../src/cli/namespace_snapshots.hpp"

#include <gtest/gtest.h>

#include <mutex>
#include <set>

#include "../fs/fs_test_util.hpp"
#include "../node/store_board.hpp"

namespace dfs::cli {
namespace {

using fs::testing::put_file;
using std::chrono::milliseconds;

// Peers that refuse every chunk until told to accept; each replicate()
// says which chunks got no copy, as p2p::Peer does.
class RefusingNetwork final : public replicate::ChunkNetwork {
 public:
  Result<Bytes> fetch(const ChunkId&) override { return make_error(Errc::not_found, "no peers"); }
  replicate::ReplicationSummary replicate(const std::vector<ChunkId>& ids) override {
    std::lock_guard lock(mu_);  // from the replication queue's thread and the snapshot's
    if (!accepting) return replicate::ReplicationSummary{3, 1, {}, ids};
    placed.insert(ids.begin(), ids.end());
    return replicate::ReplicationSummary{3, 3, {}, {}};
  }
  replicate::NetworkStatus status() override { return {}; }
  std::vector<replicate::PeerSummary> peers() override { return {}; }

  void accept(bool yes) {
    std::lock_guard lock(mu_);
    accepting = yes;
  }
  std::size_t placed_count() {
    std::lock_guard lock(mu_);
    return placed.size();
  }

 private:
  std::mutex mu_;  // guards the two below
  bool accepting = true;
  std::set<ChunkId> placed;
};

TEST(NamespaceSnapshots, NoPointerIsPublishedWhileAChunkOfTheTreeHasNoCopyOnAnotherPeer) {
  RefusingNetwork network;
  fs::testing::Peer peer;
  peer.set_network(&network);
  node::doubles::StoreBoard board;
  const crypto::RecoveryKey key = crypto::RecoveryKey::generate();
  std::int64_t now = 1'700'000'000;
  const UnixClock clock = [&now] { return now; };
  node::PointerPublisher publisher(key, board, peer.dir() + "/" + node::kRecoveryStateFile, clock);
  node::SnapshotScheduler scheduler(namespace_source(peer.fs()), publisher, milliseconds(0), clock);

  put_file(peer.fs(), fs::kRootIno, "placed", fs::testing::random_bytes(5000, 1));
  auto first = scheduler.take_now();
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  ASSERT_TRUE(first->published);

  network.accept(false);
  put_file(peer.fs(), fs::kRootIno, "refused", fs::testing::random_bytes(5000, 2));
  for (int attempt = 0; attempt < 2; ++attempt) {  // what was refused is tried again, and refused again
    ++now;
    auto refused = scheduler.take_now();
    ASSERT_FALSE(refused.ok()) << "published with chunks on this peer alone";
    EXPECT_EQ(refused.error().code, Errc::unavailable) << refused.error().to_string();
    auto found = node::find_pointer(key, board);
    ASSERT_TRUE(found.ok()) << found.error().to_string();
    EXPECT_EQ(found->sequence, first->sequence);
    EXPECT_EQ(found->pointer.snapshots.front().root, first->snapshot.root);
  }

  network.accept(true);
  const std::size_t placed_before = network.placed_count();
  ++now;
  auto later = scheduler.take_now();
  ASSERT_TRUE(later.ok()) << later.error().to_string();
  EXPECT_TRUE(later->published);
  EXPECT_GT(later->sequence, first->sequence);
  EXPECT_GT(network.placed_count(), placed_before) << "the refused chunks were placed before the pointer";
  auto found = node::find_pointer(key, board);
  ASSERT_TRUE(found.ok()) << found.error().to_string();
  EXPECT_EQ(found->pointer.snapshots.front().root, later->snapshot.root);
}

}  // namespace
}  // namespace dfs::cli
