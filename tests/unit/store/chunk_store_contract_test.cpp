// The ChunkStore contract, run against every implementation (as CryFS runs
// one suite per block store interface): a test here states behaviour that
// upper layers may rely on whichever store they are given.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <functional>
#include <latch>
#include <memory>
#include <ostream>
#include <thread>
#include <vector>

#include "../../common/chunk_on_disk.hpp"
#include "dfs/store/chunk_source.hpp"
#include "dfs/store/disk_chunk_store.hpp"
#include "dfs/store/memory_chunk_store.hpp"
#include "store_test_util.hpp"

namespace dfs::store {
namespace {

using testing::make_chunk;
using testing::TempDir;
using testing::TestChunk;

struct StoreKind {
  std::string name;
  // A fresh store with `quota`, keeping its files (if any) under `dir`.
  std::function<std::unique_ptr<ChunkStore>(const std::string& dir, std::uint64_t quota)> open;
  // Flips a bit of a stored chunk behind the store's back, as a bad disk would.
  std::function<void(ChunkStore& store, const ChunkId& id)> corrupt;
};

// So that failures name the store instead of dumping the struct's bytes.
void PrintTo(const StoreKind& kind, std::ostream* out) { *out << kind.name; }

std::unique_ptr<ChunkStore> open_disk(const std::string& dir, std::uint64_t quota, bool durable) {
  auto store = DiskChunkStore::open(dir, DiskStoreOptions{.quota_bytes = quota, .durable = durable});
  EXPECT_TRUE(store.ok()) << store.error().to_string();
  return store.ok() ? std::move(store).value() : nullptr;
}

void corrupt_on_disk(ChunkStore& store, const ChunkId& id) {
  auto where = dynamic_cast<DiskChunkStore&>(store).locate(id);
  ASSERT_TRUE(where.ok()) << where.error().to_string();
  ASSERT_TRUE(dfs::testing::flip_chunk_byte(*where, 0)) << "cannot rewrite " << where->path;
}

const StoreKind kMemory{
    "Memory",
    [](const std::string&, std::uint64_t quota) { return std::make_unique<MemoryChunkStore>(quota); },
    [](ChunkStore& store, const ChunkId& id) {
      ASSERT_TRUE(dynamic_cast<MemoryChunkStore&>(store).corrupt_for_testing(id).ok());
    }};

const StoreKind kDisk{"Disk",
                      [](const std::string& dir, std::uint64_t quota) { return open_disk(dir, quota, true); },
                      corrupt_on_disk};

// Same store without fsync (as benchmarks run it): the semantics must not change.
const StoreKind kDiskNotDurable{
    "DiskNotDurable", [](const std::string& dir, std::uint64_t quota) { return open_disk(dir, quota, false); },
    corrupt_on_disk};

// The chunk chain (chunk_source.hpp) over memory stores, with peers that
// hold nothing: it writes to its local store and reads through, so it must
// keep the whole contract of the store it wraps.
class ChainedMemory final : public ChunkStore {
 public:
  explicit ChainedMemory(std::uint64_t quota)
      : local_(quota),
        chain_(make_chunk_source(ChunkChain{&local_, &cache_, [](const ChunkId& id) -> Result<Bytes> {
                                              return make_error(Errc::not_found, "no peer has " + id.short_hex());
                                            }})) {}
  Status put(const ChunkId& id, ByteView sealed) override { return chain_->put(id, sealed); }
  Result<Bytes> get(const ChunkId& id) override { return chain_->get(id); }
  Status with_sealed(const ChunkId& id, const SealedUse& use) override { return chain_->with_sealed(id, use); }
  Result<bool> contains(const ChunkId& id) override { return chain_->contains(id); }
  Status remove(const ChunkId& id) override { return chain_->remove(id); }
  Result<std::vector<ChunkId>> list() override { return chain_->list(); }
  std::unique_ptr<PutBatch> begin_batch() override { return chain_->begin_batch(); }
  Usage usage() const override { return chain_->usage(); }
  MemoryChunkStore& local() { return local_; }

 private:
  MemoryChunkStore local_;
  MemoryChunkStore cache_;
  std::unique_ptr<ChunkStore> chain_;
};

const StoreKind kChain{
    "Chain", [](const std::string&, std::uint64_t quota) { return std::make_unique<ChainedMemory>(quota); },
    [](ChunkStore& store, const ChunkId& id) {
      ASSERT_TRUE(dynamic_cast<ChainedMemory&>(store).local().corrupt_for_testing(id).ok());
    }};

class ChunkStoreContract : public ::testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override { ASSERT_TRUE(dir_.ok()) << "cannot create a temp dir"; }

  std::unique_ptr<ChunkStore> open(std::uint64_t quota = 0) { return GetParam().open(dir_.path(), quota); }

  TempDir dir_;
};

std::vector<ChunkId> sorted(std::vector<ChunkId> ids) {
  std::sort(ids.begin(), ids.end());
  return ids;
}

TEST_P(ChunkStoreContract, GetReturnsTheBytesThatPutStored) {
  auto store = open();
  const TestChunk chunk = make_chunk(100'000, 1);
  ASSERT_TRUE(store->put(chunk.id, chunk.bytes).ok());
  auto got = store->get(chunk.id);
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  EXPECT_EQ(*got, chunk.bytes);
}

TEST_P(ChunkStoreContract, ChunksPutThroughABatchAreAllStoredOnceItCommits) {
  auto store = open();
  auto batch = store->begin_batch();
  std::vector<TestChunk> chunks;
  for (std::uint32_t i = 0; i < 5; ++i) chunks.push_back(make_chunk(1000 + i, i));
  std::vector<std::thread> writers;
  for (const auto& c : chunks) writers.emplace_back([&] { EXPECT_TRUE(batch->put(c.id, c.bytes).ok()); });
  for (auto& w : writers) w.join();
  ASSERT_TRUE(batch->put(chunks[0].id, chunks[0].bytes).ok()) << "a chunk put twice in a batch is fine";
  ASSERT_TRUE(batch->commit().ok());
  for (const auto& c : chunks) EXPECT_EQ(store->get(c.id).value(), c.bytes);
  EXPECT_EQ(store->usage().chunks, 5u);
}

TEST_P(ChunkStoreContract, ABatchRejectsBytesThatDoNotHashToTheirId) {
  auto store = open();
  auto batch = store->begin_batch();
  TestChunk chunk = make_chunk(100, 1);
  chunk.bytes[0] ^= 1;
  EXPECT_EQ(batch->put(chunk.id, chunk.bytes).error().code, Errc::corrupt);
}

TEST_P(ChunkStoreContract, AnEmptyChunkCanBeStoredAndRead) {
  auto store = open();
  const TestChunk chunk = make_chunk(0, 1);
  ASSERT_TRUE(store->put(chunk.id, chunk.bytes).ok());
  auto got = store->get(chunk.id);
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  EXPECT_TRUE(got->empty());
}

TEST_P(ChunkStoreContract, PuttingAStoredChunkAgainSucceedsAndChangesNothing) {
  auto store = open();
  const TestChunk chunk = make_chunk(4096, 1);
  ASSERT_TRUE(store->put(chunk.id, chunk.bytes).ok());
  const Usage before = store->usage();
  EXPECT_TRUE(store->put(chunk.id, chunk.bytes).ok());
  EXPECT_EQ(store->usage().bytes, before.bytes);
  EXPECT_EQ(store->usage().chunks, before.chunks);
  EXPECT_EQ(store->list()->size(), 1u);
}

TEST_P(ChunkStoreContract, PutRejectsBytesThatDoNotHashToTheIdAndStoresNothing) {
  auto store = open();
  const TestChunk chunk = make_chunk(4096, 1);
  const TestChunk other = make_chunk(4096, 2);
  const Status status = store->put(chunk.id, other.bytes);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Errc::corrupt);
  EXPECT_FALSE(*store->contains(chunk.id));
  EXPECT_EQ(store->usage().chunks, 0u);
}

TEST_P(ChunkStoreContract, PutRejectsAChunkLargerThanTheMaximumSealedSize) {
  auto store = open();
  const Bytes huge(kMaxSealedChunkSize + 1, 0x5a);
  const Status status = store->put(ChunkId::of(huge), huge);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Errc::too_large);
  EXPECT_EQ(store->usage().chunks, 0u);
}

TEST_P(ChunkStoreContract, GetOfAnAbsentChunkIsNotFound) {
  auto store = open();
  auto got = store->get(make_chunk(10, 1).id);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, Errc::not_found);
}

TEST_P(ChunkStoreContract, ContainsTellsWhetherAChunkIsStored) {
  auto store = open();
  const TestChunk chunk = make_chunk(10, 1);
  EXPECT_FALSE(*store->contains(chunk.id));
  ASSERT_TRUE(store->put(chunk.id, chunk.bytes).ok());
  EXPECT_TRUE(*store->contains(chunk.id));
}

TEST_P(ChunkStoreContract, RemoveDeletesTheChunkAndGivesBackItsSpace) {
  auto store = open();
  const TestChunk kept = make_chunk(1000, 1);
  const TestChunk removed = make_chunk(3000, 2);
  ASSERT_TRUE(store->put(kept.id, kept.bytes).ok());
  ASSERT_TRUE(store->put(removed.id, removed.bytes).ok());
  ASSERT_TRUE(store->remove(removed.id).ok());
  EXPECT_EQ(store->get(removed.id).error().code, Errc::not_found);
  EXPECT_EQ(store->usage().bytes, 1000u);
  EXPECT_EQ(store->usage().chunks, 1u);
  EXPECT_TRUE(store->get(kept.id).ok());
}

TEST_P(ChunkStoreContract, RemoveOfAnAbsentChunkIsNotFound) {
  auto store = open();
  const Status status = store->remove(make_chunk(10, 1).id);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Errc::not_found);
}

TEST_P(ChunkStoreContract, ListReturnsEveryStoredChunkAndNoRemovedOne) {
  auto store = open();
  std::vector<ChunkId> expected;
  for (std::uint32_t seed = 0; seed < 20; ++seed) {
    const TestChunk chunk = make_chunk(100 + seed, seed);
    ASSERT_TRUE(store->put(chunk.id, chunk.bytes).ok());
    if (seed % 4 == 0) {
      ASSERT_TRUE(store->remove(chunk.id).ok());
    } else {
      expected.push_back(chunk.id);
    }
  }
  auto listed = store->list();
  ASSERT_TRUE(listed.ok()) << listed.error().to_string();
  EXPECT_EQ(sorted(*listed), sorted(expected));
}

TEST_P(ChunkStoreContract, UsageCountsTheBytesAndChunksStoredAndReportsTheQuota) {
  auto store = open(1'000'000);
  EXPECT_EQ(store->usage().bytes, 0u);
  for (std::uint32_t seed = 1; seed <= 3; ++seed) {
    const TestChunk chunk = make_chunk(seed * 1000, seed);
    ASSERT_TRUE(store->put(chunk.id, chunk.bytes).ok());
  }
  const Usage usage = store->usage();
  EXPECT_EQ(usage.bytes, 6000u);
  EXPECT_EQ(usage.chunks, 3u);
  EXPECT_EQ(usage.quota_bytes, 1'000'000u);
}

TEST_P(ChunkStoreContract, PutOverTheQuotaFailsWithNoSpaceAndLeavesNothingBehind) {
  auto store = open(5000);
  const TestChunk fits = make_chunk(3000, 1);
  const TestChunk too_big = make_chunk(2001, 2);
  ASSERT_TRUE(store->put(fits.id, fits.bytes).ok());
  const Status status = store->put(too_big.id, too_big.bytes);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Errc::no_space);
  EXPECT_FALSE(*store->contains(too_big.id));
  EXPECT_EQ(store->usage().bytes, 3000u);
  EXPECT_EQ(store->usage().chunks, 1u);
  EXPECT_EQ(store->list()->size(), 1u);
}

TEST_P(ChunkStoreContract, AChunkThatFillsTheQuotaExactlyIsAccepted) {
  auto store = open(5000);
  const TestChunk chunk = make_chunk(5000, 1);
  EXPECT_TRUE(store->put(chunk.id, chunk.bytes).ok());
}

TEST_P(ChunkStoreContract, PuttingAStoredChunkSucceedsEvenWhenTheQuotaIsFull) {
  auto store = open(5000);
  const TestChunk chunk = make_chunk(5000, 1);
  ASSERT_TRUE(store->put(chunk.id, chunk.bytes).ok());
  EXPECT_TRUE(store->put(chunk.id, chunk.bytes).ok());
}

TEST_P(ChunkStoreContract, ConcurrentPutsNeverOvershootTheQuota) {
  constexpr std::size_t kChunkSize = 4096;
  constexpr int kThreads = 8;
  constexpr int kChunksPerThread = 6;
  constexpr std::uint64_t kRoomFor = 10;
  auto store = open(kRoomFor * kChunkSize);
  std::atomic<int> stored{0};
  std::atomic<int> other_errors{0};
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<TestChunk> chunks;
      for (int i = 0; i < kChunksPerThread; ++i) chunks.push_back(make_chunk(kChunkSize, t * 100 + i));
      start.arrive_and_wait();  // all threads put at once, to race for the quota
      for (const TestChunk& chunk : chunks) {
        const Status status = store->put(chunk.id, chunk.bytes);
        if (status.ok()) {
          ++stored;
        } else if (status.error().code != Errc::no_space) {
          ++other_errors;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(other_errors.load(), 0);
  EXPECT_EQ(stored.load(), static_cast<int>(kRoomFor));
  EXPECT_EQ(store->usage().bytes, kRoomFor * kChunkSize);
  EXPECT_EQ(store->list()->size(), kRoomFor);
}

TEST_P(ChunkStoreContract, ConcurrentPutsOfTheSameChunkStoreItOnce) {
  constexpr int kThreads = 8;
  auto store = open();
  const TestChunk chunk = make_chunk(50'000, 1);
  std::latch start(kThreads);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      if (!store->put(chunk.id, chunk.bytes).ok()) ++failures;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(store->usage().chunks, 1u);
  EXPECT_EQ(store->usage().bytes, 50'000u);
}

// Races puts, gets and removes on a few chunks; whatever interleaving
// happened, usage must then match exactly what is stored.
TEST_P(ChunkStoreContract, ConcurrentPutsGetsAndRemovesKeepUsageExact) {
  constexpr int kThreads = 4;
  constexpr int kOpsPerThread = 150;
  constexpr std::uint32_t kChunks = 8;
  auto store = open();
  std::vector<TestChunk> chunks;
  for (std::uint32_t i = 0; i < kChunks; ++i) chunks.push_back(make_chunk(1000 + i * 100, i));
  std::atomic<int> unexpected{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      for (int op = 0; op < kOpsPerThread; ++op) {
        const TestChunk& chunk = chunks[rng() % kChunks];
        bool ok = true;
        switch (rng() % 3) {
          case 0: ok = store->put(chunk.id, chunk.bytes).ok(); break;
          case 1: {
            auto got = store->get(chunk.id);
            ok = got.ok() ? *got == chunk.bytes : got.error().code == Errc::not_found;
            break;
          }
          default: {
            const Status status = store->remove(chunk.id);
            ok = status.ok() || status.error().code == Errc::not_found;
          }
        }
        if (!ok) ++unexpected;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(unexpected.load(), 0);
  std::uint64_t bytes = 0;
  const std::vector<ChunkId> listed = *store->list();
  for (const ChunkId& id : listed) bytes += store->get(id)->size();
  EXPECT_EQ(store->usage().bytes, bytes);
  EXPECT_EQ(store->usage().chunks, listed.size());
}

TEST_P(ChunkStoreContract, AChunkCorruptedInStorageIsReportedCorruptAndThenNotFound) {
  auto store = open();
  const TestChunk chunk = make_chunk(4096, 1);
  const TestChunk other = make_chunk(1000, 2);
  ASSERT_TRUE(store->put(chunk.id, chunk.bytes).ok());
  ASSERT_TRUE(store->put(other.id, other.bytes).ok());
  GetParam().corrupt(*store, chunk.id);

  auto got = store->get(chunk.id);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, Errc::corrupt);
  EXPECT_EQ(store->get(chunk.id).error().code, Errc::not_found);
  EXPECT_FALSE(*store->contains(chunk.id));
  EXPECT_EQ(store->usage().bytes, 1000u);
  EXPECT_EQ(store->usage().chunks, 1u);
  EXPECT_EQ(*store->list(), std::vector<ChunkId>{other.id});
}

TEST_P(ChunkStoreContract, ACorruptChunkCanBeStoredAgainFromAGoodCopy) {
  auto store = open();
  const TestChunk chunk = make_chunk(4096, 1);
  ASSERT_TRUE(store->put(chunk.id, chunk.bytes).ok());
  GetParam().corrupt(*store, chunk.id);
  ASSERT_EQ(store->get(chunk.id).error().code, Errc::corrupt);
  ASSERT_TRUE(store->put(chunk.id, chunk.bytes).ok());
  auto got = store->get(chunk.id);
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  EXPECT_EQ(*got, chunk.bytes);
}

// What a reader lent the bytes keeps: a copy, and how often it was called.
struct Borrower {
  Bytes seen;
  int calls = 0;
  Status answer;
  ChunkStore::SealedUse use() {
    return [this](ByteView sealed) {
      ++calls;
      seen.assign(sealed.begin(), sealed.end());
      return answer;
    };
  }
};

TEST_P(ChunkStoreContract, WithSealedLendsTheBytesGetReturnsForSmallAndLargeChunks) {
  auto store = open();
  std::uint32_t seed = 40;
  for (std::size_t size : {std::size_t{0}, std::size_t{100}, std::size_t{65535}, std::size_t{1u << 20},
                           std::size_t{(1u << 20) + 29}}) {
    const TestChunk chunk = make_chunk(size, seed++);
    ASSERT_TRUE(store->put(chunk.id, chunk.bytes).ok());
    Borrower borrower;
    ASSERT_TRUE(store->with_sealed(chunk.id, borrower.use()).ok()) << size;
    EXPECT_EQ(borrower.calls, 1);
    EXPECT_EQ(borrower.seen, chunk.bytes) << size;
  }
}

TEST_P(ChunkStoreContract, WithSealedReturnsWhatTheBorrowerReturns) {
  auto store = open();
  const TestChunk chunk = make_chunk(5000, 1);
  ASSERT_TRUE(store->put(chunk.id, chunk.bytes).ok());
  Borrower borrower;
  borrower.answer = make_error(Errc::invalid_argument, "the borrower's own failure");
  EXPECT_EQ(store->with_sealed(chunk.id, borrower.use()).error().code, Errc::invalid_argument);
}

TEST_P(ChunkStoreContract, WithSealedOfAnAbsentChunkIsNotFoundAndLendsNothing) {
  auto store = open();
  Borrower borrower;
  EXPECT_EQ(store->with_sealed(make_chunk(10, 1).id, borrower.use()).error().code, Errc::not_found);
  EXPECT_EQ(borrower.calls, 0);
}

TEST_P(ChunkStoreContract, WithSealedOfALargeCorruptChunkIsCorruptLendsNothingAndThenNotFound) {
  auto store = open();
  const TestChunk chunk = make_chunk((1u << 20) + 29, 3);
  ASSERT_TRUE(store->put(chunk.id, chunk.bytes).ok());
  GetParam().corrupt(*store, chunk.id);
  Borrower borrower;
  EXPECT_EQ(store->with_sealed(chunk.id, borrower.use()).error().code, Errc::corrupt);
  EXPECT_EQ(borrower.calls, 0);
  EXPECT_EQ(store->with_sealed(chunk.id, borrower.use()).error().code, Errc::not_found);
  EXPECT_EQ(store->usage().chunks, 0u);
}

INSTANTIATE_TEST_SUITE_P(AllStores, ChunkStoreContract, ::testing::Values(kMemory, kDisk, kDiskNotDurable, kChain),
                         [](const ::testing::TestParamInfo<StoreKind>& info) { return info.param.name; });

}  // namespace
}  // namespace dfs::store
