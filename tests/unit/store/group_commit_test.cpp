// GroupCommitter: puts are acknowledged only once their group's commit
// (the sync) succeeded, share commits under load, and fail together when
// the commit fails.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "dfs/store/disk_chunk_store.hpp"
#include "dfs/store/group_commit.hpp"
#include "dfs/store/memory_chunk_store.hpp"
#include "store_test_util.hpp"

namespace dfs::store {
namespace {

using namespace std::chrono_literals;
using testing::make_chunk;
using testing::TestChunk;

// A store whose batches hold their chunks until commit(), which waits for
// the test to open the gate and then stores them, or fails as told: the
// commit stands for the sync that makes a group durable.
class GatedStore final : public ChunkStore {
 public:
  Status put(const ChunkId& id, ByteView sealed) override { return inner_.put(id, sealed); }
  Result<Bytes> get(const ChunkId& id) override { return inner_.get(id); }
  Result<bool> contains(const ChunkId& id) override { return inner_.contains(id); }
  Status remove(const ChunkId& id) override { return inner_.remove(id); }
  Result<std::vector<ChunkId>> list() override { return inner_.list(); }
  Usage usage() const override { return inner_.usage(); }
  std::unique_ptr<PutBatch> begin_batch() override { return std::make_unique<Batch>(*this); }

  void open_gate() {
    std::lock_guard lock(mu_);
    gate_open_ = true;
    cv_.notify_all();
  }
  void fail_commits() {
    std::lock_guard lock(mu_);
    fail_ = true;
  }
  // Blocks until `n` commits have started (each waits at the gate).
  void wait_for_commits_started(std::size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return commits_started_ >= n; });
  }
  // Blocks until `n` puts have been written into batches: each has joined
  // its group, so the groups are formed.
  void wait_for_staged(std::size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return staged_ >= n; });
  }
  std::size_t commits() {
    std::lock_guard lock(mu_);
    return commits_started_;
  }
  std::size_t largest_group() {
    std::lock_guard lock(mu_);
    return largest_group_;
  }

 private:
  class Batch final : public PutBatch {
   public:
    explicit Batch(GatedStore& store) : store_(store) {}
    Status put(const ChunkId& id, ByteView sealed) override {
      DFS_TRY(check_sealed(id, sealed));
      return put_verified(id, sealed);
    }
    Status put_verified(const ChunkId& id, ByteView sealed) override {
      {
        std::lock_guard lock(mu_);
        staged_.push_back({id, Bytes(sealed.begin(), sealed.end())});
      }
      std::lock_guard lock(store_.mu_);
      ++store_.staged_;
      store_.cv_.notify_all();
      return {};
    }
    Status commit() override {
      std::unique_lock lock(store_.mu_);
      ++store_.commits_started_;
      store_.largest_group_ = std::max(store_.largest_group_, staged_.size());
      store_.cv_.notify_all();
      store_.cv_.wait(lock, [&] { return store_.gate_open_; });
      if (store_.fail_) return make_error(Errc::io_error, "sync failed");
      for (const TestChunk& c : staged_) DFS_TRY(store_.inner_.put(c.id, c.bytes));
      return {};
    }

   private:
    GatedStore& store_;
    std::mutex mu_;  // guards staged_
    std::vector<TestChunk> staged_;
  };

  MemoryChunkStore inner_;
  std::mutex mu_;  // guards the fields below
  std::condition_variable cv_;
  bool gate_open_ = false;
  bool fail_ = false;
  std::size_t commits_started_ = 0;
  std::size_t largest_group_ = 0;
  std::size_t staged_ = 0;
};

std::future<Status> put_async(GroupCommitter& committer, const TestChunk& chunk) {
  return std::async(std::launch::async, [&committer, &chunk] { return committer.put(chunk.id, chunk.bytes); });
}

TEST(GroupCommitTest, APutReturnsOnlyAfterItsGroupIsCommitted) {
  GatedStore store;
  GroupCommitter committer(store);
  const TestChunk chunk = make_chunk(1000, 1);
  auto put = put_async(committer, chunk);
  store.wait_for_commits_started(1);
  EXPECT_EQ(put.wait_for(50ms), std::future_status::timeout) << "acknowledged before the sync finished";
  EXPECT_FALSE(*store.contains(chunk.id));
  store.open_gate();
  ASSERT_TRUE(put.get().ok());
  EXPECT_TRUE(*store.contains(chunk.id));
}

TEST(GroupCommitTest, PutsArrivingDuringACommitShareTheNextCommit) {
  GatedStore store;
  GroupCommitter committer(store);
  std::vector<TestChunk> chunks;
  for (std::uint32_t i = 0; i < 9; ++i) chunks.push_back(make_chunk(1000, 10 + i));
  auto first = put_async(committer, chunks[0]);
  store.wait_for_commits_started(1);  // the first put leads, alone, and holds the commit
  std::vector<std::future<Status>> rest;
  for (std::size_t i = 1; i < chunks.size(); ++i) rest.push_back(put_async(committer, chunks[i]));
  store.wait_for_staged(chunks.size());  // they all joined the next group
  store.open_gate();
  ASSERT_TRUE(first.get().ok());
  for (auto& put : rest) ASSERT_TRUE(put.get().ok());
  EXPECT_EQ(store.commits(), 2u) << "one commit for the first put, one for the eight behind it";
  EXPECT_EQ(store.largest_group(), 8u);
  for (const TestChunk& c : chunks) EXPECT_TRUE(*store.contains(c.id));
}

TEST(GroupCommitTest, AFailedCommitFailsEveryPutOfItsGroup) {
  GatedStore store;
  GroupCommitter committer(store);
  store.fail_commits();
  std::vector<TestChunk> chunks;
  for (std::uint32_t i = 0; i < 4; ++i) chunks.push_back(make_chunk(1000, 20 + i));
  std::vector<std::future<Status>> puts;
  for (const TestChunk& c : chunks) puts.push_back(put_async(committer, c));
  store.wait_for_staged(chunks.size());
  store.open_gate();
  for (auto& put : puts) {
    Status s = put.get();
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, Errc::io_error);
  }
  for (const TestChunk& c : chunks) EXPECT_FALSE(*store.contains(c.id));
}

TEST(GroupCommitTest, ACorruptPutFailsAloneAndItsGroupStillCommits) {
  GatedStore store;
  GroupCommitter committer(store);
  store.open_gate();
  const TestChunk good = make_chunk(1000, 30);
  const TestChunk other = make_chunk(1000, 31);
  Status bad = committer.put(good.id, other.bytes);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::corrupt);
  ASSERT_TRUE(committer.put(good.id, good.bytes).ok());
  EXPECT_TRUE(*store.contains(good.id));
}

TEST(GroupCommitTest, AGroupClosesAtItsSizeLimit) {
  GatedStore store;
  GroupCommitter committer(store, 2);
  std::vector<TestChunk> chunks;
  for (std::uint32_t i = 0; i < 6; ++i) chunks.push_back(make_chunk(1000, 40 + i));
  auto first = put_async(committer, chunks[0]);
  store.wait_for_commits_started(1);
  std::vector<std::future<Status>> rest;
  for (std::size_t i = 1; i < chunks.size(); ++i) rest.push_back(put_async(committer, chunks[i]));
  store.wait_for_staged(chunks.size());  // in groups of 2, 2 and 1
  store.open_gate();
  ASSERT_TRUE(first.get().ok());
  for (auto& put : rest) ASSERT_TRUE(put.get().ok());
  EXPECT_EQ(store.largest_group(), 2u);
  EXPECT_EQ(store.commits(), 4u) << "the first put, then groups of 2, 2 and 1";
}

TEST(GroupCommitTest, APutRefusedInAGroupWaitingBehindACommitLeavesTheRestOfItsGroupToCommit) {
  GatedStore store;
  GroupCommitter committer(store, 2);
  const TestChunk first = make_chunk(1000, 60);
  const TestChunk good = make_chunk(1000, 61);
  const TestChunk other = make_chunk(1000, 62);
  auto lead = put_async(committer, first);
  store.wait_for_commits_started(1);
  // The corrupt put joins the next group and leaves it at once; the good
  // one waits in it for its turn to lead.
  Status bad = committer.put(good.id, other.bytes);
  ASSERT_FALSE(bad.ok());
  auto waiting = put_async(committer, good);
  store.wait_for_staged(2);
  store.open_gate();
  ASSERT_TRUE(lead.get().ok());
  ASSERT_TRUE(waiting.get().ok());
  EXPECT_TRUE(*store.contains(good.id));
  EXPECT_EQ(store.commits(), 2u);
}

TEST(GroupCommitTest, ConcurrentPutsIntoADiskStoreAreAllStoredAndReadable) {
  testing::TempDir dir;
  auto store = DiskChunkStore::open(dir.path(), {});
  ASSERT_TRUE(store.ok());
  GroupCommitter committer(**store, 4);
  std::vector<TestChunk> chunks;
  for (std::uint32_t i = 0; i < 24; ++i) chunks.push_back(make_chunk(4096 + i, 50 + i));
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (std::size_t i = static_cast<std::size_t>(t); i < chunks.size(); i += 6) {
        if (!committer.put(chunks[i].id, chunks[i].bytes).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  for (const TestChunk& c : chunks) {
    auto got = (*store)->get(c.id);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(*got, c.bytes);
  }
  EXPECT_EQ(testing::count_entries((*store)->tmp_dir()), 0u) << "no temp file left behind";
}

}  // namespace
}  // namespace dfs::store
