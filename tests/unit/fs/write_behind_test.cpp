// FileContent's write-behind: full chunks sealed and stored in the
// background before the commit, on a store that fails on command and, like
// DiskChunkStore, shows a batch's chunks only once the batch is committed.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "dfs/store/memory_chunk_store.hpp"
#include "file_content.hpp"
#include "fs_test_util.hpp"

namespace dfs::fs {
namespace {

using testing::eventually;  // background work has no callback
using testing::random_bytes;

constexpr std::uint32_t kChunk = 4096;

// A store whose batch puts and batch commits fail while told to.
class FaultyStore final : public store::ChunkStore {
 public:
  std::atomic<bool> fail_puts{false};
  std::atomic<bool> fail_commits{false};
  std::atomic<int> failed_puts{0};

  Status put(const ChunkId& id, ByteView sealed) override { return inner_.put(id, sealed); }
  Result<Bytes> get(const ChunkId& id) override { return inner_.get(id); }
  Result<bool> contains(const ChunkId& id) override { return inner_.contains(id); }
  Status remove(const ChunkId& id) override { return inner_.remove(id); }
  Result<std::vector<ChunkId>> list() override { return inner_.list(); }
  store::Usage usage() const override { return inner_.usage(); }
  std::unique_ptr<store::PutBatch> begin_batch() override { return std::make_unique<Batch>(*this); }

 private:
  // Keeps the chunks until commit, so they are invisible before it.
  class Batch final : public store::PutBatch {
   public:
    explicit Batch(FaultyStore& store) : store_(store) {}
    Status put(const ChunkId& id, ByteView sealed) override {
      if (store_.fail_puts) {
        ++store_.failed_puts;
        return make_error(Errc::io_error, "injected put failure");
      }
      std::lock_guard lock(mu_);
      staged_.emplace_back(id, Bytes(sealed.begin(), sealed.end()));
      return {};
    }
    Status commit() override {
      if (store_.fail_commits) return make_error(Errc::io_error, "injected commit failure");
      std::lock_guard lock(mu_);
      for (const auto& [id, bytes] : staged_) DFS_TRY(store_.inner_.put(id, bytes));
      staged_.clear();
      return {};
    }

   private:
    FaultyStore& store_;
    std::mutex mu_;
    std::vector<std::pair<ChunkId, Bytes>> staged_;
  };

  store::MemoryChunkStore inner_;
};

class FsWriteBehind : public ::testing::Test {
 protected:
  static constexpr std::size_t kBudget = 64 * kChunk;

  FsWriteBehind() : reader_(Backend{&store_, nullptr, nullptr, &pool_, nullptr, &in_flight_}, 1 << 20) {}

  ContentEnv env() { return ContentEnv{&reader_, &store_, &pool_, &budget_, dir_.path(), &in_flight_}; }
  std::unique_ptr<FileContent> fresh() {
    return std::make_unique<FileContent>(env(), std::nullopt, std::nullopt, 0, kChunk);
  }
  // The committed version read through a new FileContent, as a reopen would.
  Bytes reread(const NewVersion& version) {
    FileContent content(env(), version.head, version.key, version.manifest.file_size, kChunk);
    Bytes out(version.manifest.file_size);
    auto n = content.read(0, out);
    EXPECT_TRUE(n.ok()) << n.error().to_string();
    return out;
  }
  Result<NewVersion> commit(FileContent& content) {
    store::InFlightChunks::Hold hold = in_flight_.hold();
    DFS_ASSIGN_OR_RETURN(NewVersion version, content.seal_version(hold));
    content.adopt(version);
    return version;
  }
  std::uint64_t stored() const { return store_.usage().chunks; }
  static void write_sequentially(FileContent& content, ByteView data) {
    for (std::size_t done = 0; done < data.size(); done += 1000) {
      ASSERT_OK(content.write(done, data.subspan(done, std::min<std::size_t>(1000, data.size() - done))));
    }
  }
  // The whole budget is free: no buffer is counted twice or leaked.
  bool budget_free() {
    if (!budget_.try_reserve(kBudget)) return false;
    budget_.release(kBudget);
    return true;
  }

  testing::TempDir dir_;
  WorkerPool pool_{2};
  FaultyStore store_;
  store::InFlightChunks in_flight_;
  MemoryBudget budget_{kBudget};
  ChunkReader reader_;
};

TEST_F(FsWriteBehind, FullChunksAreStoredBeforeTheCommitAndReusedByIt) {
  auto content = fresh();
  const Bytes data = random_bytes(5 * kChunk + 100, 1);
  write_sequentially(*content, data);
  ASSERT_TRUE(eventually([&] { return stored() == 5; }));  // the partial last chunk waits
  auto listed = store_.list();
  ASSERT_OK(listed);
  const std::set<ChunkId> ahead(listed->begin(), listed->end());
  auto version = commit(*content);
  ASSERT_OK(version);
  ASSERT_EQ(version->manifest.chunk_count(), 6u);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(ahead.count(version->manifest.chunk(i)->id)) << "chunk " << i;
  EXPECT_EQ(reread(*version), data);
}

TEST_F(FsWriteBehind, AChunkWrittenAgainAfterItsSealIsCommittedWithTheNewBytes) {
  auto content = fresh();
  Bytes data = random_bytes(3 * kChunk, 2);
  write_sequentially(*content, data);
  ASSERT_TRUE(eventually([&] { return stored() == 3; }));
  const Bytes patch = random_bytes(100, 3);
  ASSERT_OK(content->write(kChunk + 10, patch));
  std::copy(patch.begin(), patch.end(), data.begin() + kChunk + 10);
  Bytes read_back(data.size());
  ASSERT_OK(content->read(0, read_back));
  EXPECT_EQ(read_back, data);
  auto version = commit(*content);
  ASSERT_OK(version);
  EXPECT_EQ(reread(*version), data);
}

TEST_F(FsWriteBehind, AChunkRewrittenWhileItsSealRunsIsCommittedWithTheNewBytes) {
  auto content = fresh();
  Bytes data = random_bytes(kChunk, 4);
  ASSERT_OK(content->write(0, data));  // starts the seal
  data[7] ^= 0xff;
  ASSERT_OK(content->write(7, ByteView(data).subspan(7, 1)));  // most likely before it ends
  auto version = commit(*content);
  ASSERT_OK(version);
  EXPECT_EQ(reread(*version), data);
}

TEST_F(FsWriteBehind, TruncatingIntoASealedChunkKeepsItsHead) {
  auto content = fresh();
  Bytes data = random_bytes(3 * kChunk, 5);
  write_sequentially(*content, data);
  ASSERT_OK(content->truncate(kChunk + kChunk / 2));
  ASSERT_OK(content->truncate(4 * kChunk));  // the rest reads as zeros
  data.resize(kChunk + kChunk / 2);
  data.resize(4 * kChunk, 0);
  auto version = commit(*content);
  ASSERT_OK(version);
  EXPECT_EQ(reread(*version), data);
}

TEST_F(FsWriteBehind, AFailedBackgroundPutFailsTheCommitOnceAndLosesNothing) {
  auto content = fresh();
  const Bytes data = random_bytes(4 * kChunk, 6);
  store_.fail_puts = true;
  write_sequentially(*content, data);
  ASSERT_TRUE(eventually([&] { return store_.failed_puts == 4; }));
  store_.fail_puts = false;  // the commit's own puts succeed
  store::InFlightChunks::Hold hold = in_flight_.hold();
  EXPECT_ERRC(content->seal_version(hold), Errc::io_error);
  auto version = commit(*content);  // the chunks were kept as dirty data
  ASSERT_OK(version);
  EXPECT_EQ(reread(*version), data);
}

TEST_F(FsWriteBehind, AFailedPublishFailsEveryLaterCommitOfTheContent) {
  auto content = fresh();
  store_.fail_commits = true;
  write_sequentially(*content, random_bytes(4 * kChunk, 7));
  EXPECT_ERRC(commit(*content), Errc::io_error);
  store_.fail_commits = false;
  EXPECT_ERRC(commit(*content), Errc::io_error);  // its chunks are gone: never a manifest naming them
}

TEST_F(FsWriteBehind, ContentDroppedAfterAFailedCommitRemovesTheChunksItStoredAhead) {
  auto content = fresh();
  write_sequentially(*content, random_bytes(3 * kChunk + 100, 9));
  ASSERT_TRUE(eventually([&] { return stored() == 3; }));
  store_.fail_puts = true;  // the close's own put (the last chunk) fails, as on ENOSPC
  store::InFlightChunks::Hold hold = in_flight_.hold();
  EXPECT_ERRC(content->seal_version(hold), Errc::io_error);
  content.reset();  // the file released with its close failed
  EXPECT_EQ(stored(), 0u) << "the space comes back at once, not at the next GC";
}

TEST_F(FsWriteBehind, AChunkStoredAheadThenWrittenAgainIsRemovedByTheCommit) {
  auto content = fresh();
  write_sequentially(*content, random_bytes(3 * kChunk, 10));
  ASSERT_TRUE(eventually([&] { return stored() == 3; }));
  ASSERT_OK(content->write(kChunk + 10, random_bytes(100, 11)));
  auto version = commit(*content);
  ASSERT_OK(version);
  EXPECT_EQ(stored(), 4u) << "3 data chunks and the manifest; the replaced chunk is gone";
  content.reset();
  EXPECT_EQ(stored(), 4u) << "a committed content removes nothing when dropped";
}

TEST_F(FsWriteBehind, ChunksStoredAheadAreHeldFromGcUntilTheIndexNamesThem) {
  auto content = fresh();
  write_sequentially(*content, random_bytes(3 * kChunk, 8));
  ASSERT_TRUE(eventually([&] { return stored() == 3; }));
  EXPECT_EQ(in_flight_.size(), 3u);
  ASSERT_OK(commit(*content));  // adopt: the index (here: nobody) names them
  EXPECT_EQ(in_flight_.size(), 0u);
}

TEST_F(FsWriteBehind, DroppingUncommittedContentReleasesItsChunksAndBudget) {
  auto content = fresh();
  write_sequentially(*content, random_bytes(10 * kChunk + 5, 9));
  content.reset();
  EXPECT_EQ(in_flight_.size(), 0u);
  EXPECT_TRUE(budget_free());
}

TEST_F(FsWriteBehind, ASequentialWriterOfThreeTimesTheBudgetNeverSpills) {
  ContentEnv no_scratch = env();
  no_scratch.scratch_dir = dir_.path() + "/missing";  // a spill would fail the write
  FileContent content(no_scratch, std::nullopt, std::nullopt, 0, kChunk);
  const Bytes data = random_bytes(200 * kChunk, 10);
  write_sequentially(content, data);
  auto version = commit(content);
  ASSERT_OK(version);
  EXPECT_TRUE(budget_free());
  EXPECT_EQ(reread(*version), data);
}

}  // namespace
}  // namespace dfs::fs
