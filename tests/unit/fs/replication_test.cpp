// Replication queued on close (DESIGN.md §5): close commits and returns at
// once; the new chunks reach the network in the background. The queue is
// bounded and gives up at shutdown after its bound (repair takes the rest).
#include <atomic>
#include <condition_variable>
#include <mutex>

#include "fs_test_util.hpp"
#include "replication_queue.hpp"

namespace dfs::fs {
namespace {

using namespace std::chrono_literals;
using testing::kCaller;
using testing::Peer;
using testing::random_bytes;

// A network whose replicate() blocks until opened; counts what it got.
class GatedNetwork final : public replicate::ChunkNetwork {
 public:
  Result<Bytes> fetch(const ChunkId&) override { return make_error(Errc::not_found, "no peers"); }
  replicate::ReplicationSummary replicate(const std::vector<ChunkId>& ids) override {
    std::unique_lock lock(mu_);
    ++calls_started;
    opened_.wait(lock, [this] { return open_; });
    replicated += ids.size();
    return replicate::ReplicationSummary{3, 3, {}};
  }
  replicate::NetworkStatus status() override { return {}; }
  std::vector<replicate::PeerSummary> peers() override { return {}; }

  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    opened_.notify_all();
  }
  std::size_t count() {
    std::lock_guard lock(mu_);
    return replicated;
  }
  bool wait_for_chunks(std::size_t n) {
    return testing::eventually([&] { return count() >= n; });
  }

  std::atomic<int> calls_started{0};

 private:
  std::mutex mu_;  // guards open_ and replicated
  std::condition_variable opened_;
  bool open_ = false;
  std::size_t replicated = 0;
};

std::vector<ChunkId> ids(std::size_t n) {
  std::vector<ChunkId> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i].bytes[0] = static_cast<std::uint8_t>(i + 1);
  return out;
}

TEST(FsReplication, CloseReturnsAtOnceAndTheChunksAreReplicatedInTheBackground) {
  GatedNetwork network;  // blocked: close would hang if it waited on it
  Peer peer;
  peer.set_network(&network);
  auto created = peer.fs().create(kCaller, kRootIno, "f", 0644, O_WRONLY);
  ASSERT_OK(created);
  ASSERT_OK(peer.fs().write(created->second, 0, random_bytes(2 * kDefaultChunkSize + 1, 1)));
  ASSERT_OK(peer.fs().release(created->second));
  EXPECT_EQ(network.count(), 0u);
  network.open();
  EXPECT_TRUE(network.wait_for_chunks(4)) << "three data chunks and the manifest, got " << network.count();
  peer.set_network(nullptr);  // closes the filesystem before the network goes
}

TEST(FsReplication, AnUnchangedCloseQueuesNothing) {
  GatedNetwork network;
  network.open();
  Peer peer;
  const Ino ino = testing::put_file(peer.fs(), kRootIno, "f", random_bytes(100, 2));
  peer.set_network(&network);
  auto fh = peer.fs().open(ino, O_RDONLY);
  ASSERT_OK(fh);
  ASSERT_OK(peer.fs().release(*fh));
  // A changed file after it: the queue is in order, so once its two chunks
  // (data and manifest) are replicated, whatever the first close had
  // queued would have been too.
  testing::put_file(peer.fs(), kRootIno, "g", random_bytes(100, 3));
  ASSERT_TRUE(network.wait_for_chunks(2));
  EXPECT_EQ(network.count(), 2u) << "only the changed file's chunks";
  peer.set_network(nullptr);
}

TEST(ReplicationQueue, APushBeyondTheBoundIsDroppedNotBlocked) {
  GatedNetwork network;
  ReplicationQueue queue(network, 20, 0ms);
  EXPECT_TRUE(queue.push(ids(16)));  // taken by the worker, which blocks on the network
  ASSERT_TRUE(testing::eventually([&] { return network.calls_started > 0; }));
  EXPECT_TRUE(queue.push(ids(20)));
  EXPECT_FALSE(queue.push(ids(1)));
  EXPECT_EQ(queue.stats().chunks_dropped, 1u);
  network.open();
  EXPECT_TRUE(queue.wait_idle(5s));
  EXPECT_EQ(queue.stats().chunks_replicated, 36u);
}

TEST(ReplicationQueue, AtShutdownWhatIsLeftAfterTheBoundIsLeftForRepair) {
  GatedNetwork network;
  auto queue = std::make_unique<ReplicationQueue>(network, 1000, 0ms);
  ASSERT_TRUE(queue->push(ids(40)));
  ASSERT_TRUE(testing::eventually([&] { return network.calls_started > 0; }));
  ReplicationQueue* stopping = queue.get();
  std::thread opener([&] {
    // Once the queue refuses pushes it is shutting down: the call under
    // way then finishes and no other starts.
    EXPECT_TRUE(testing::eventually([&] { return !stopping->push({}); }));
    network.open();
  });
  queue.reset();
  opener.join();
  EXPECT_EQ(network.count(), ReplicationQueue::kChunksPerCall);
  EXPECT_EQ(network.calls_started, 1);
}

TEST(ReplicationQueue, AtShutdownTheQueueDrainsWithinItsBound) {
  GatedNetwork network;
  network.open();
  {
    ReplicationQueue queue(network, 1000, 5s);
    ASSERT_TRUE(queue.push(ids(40)));
  }
  EXPECT_EQ(network.count(), 40u);
}

}  // namespace
}  // namespace dfs::fs
