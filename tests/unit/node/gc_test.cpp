// GC and leases on a real data directory: two DiskChunkStores and a SQLite
// index in a temp dir, a clock the tests move.
#include "dfs/node/gc.hpp"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/time.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "dfs/node/node.hpp"
#include "dfs/util/file.hpp"
#include "../../common/temp_dir.hpp"

namespace dfs::node {
namespace {

namespace fs = std::filesystem;

#define ASSERT_OK(expr)                                              \
  do {                                                               \
    auto&& assert_ok_ = (expr);                                      \
    ASSERT_TRUE(assert_ok_.ok()) << assert_ok_.error().to_string();  \
  } while (0)

constexpr std::int64_t kStart = 1'800'000'000;
constexpr std::chrono::seconds kLease{100};

class GcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tmp_.ok());
    dir_ = tmp_.path();
    store::DiskStoreOptions options;
    options.durable = false;  // no power cuts here
    store_ = std::move(store::DiskChunkStore::open(dir_ + "/store", options)).value();
    cache_ = std::move(store::DiskChunkStore::open(dir_ + "/cache", options)).value();
    held_ = std::move(store::DiskChunkStore::open(dir_ + "/held", options)).value();
    index_ = std::move(index::Index::open(dir_ + "/index.sqlite")).value();
    auto clock = [this] { return now_.load(); };
    leases_ = std::make_unique<LeaseBook>(*index_, in_flight_, kLease, clock);
    gc_ = std::make_unique<GarbageCollector>(*store_, *cache_, *index_, in_flight_, leases_.get(), clock, held_.get());
  }
  void TearDown() override {
    gc_.reset();
    leases_.reset();
  }

  // A distinct chunk (any bytes are a chunk to the store: it checks hashes, not seals).
  ChunkId chunk(store::ChunkStore& into, int n) {
    const std::string text = "chunk " + std::to_string(n);
    Bytes bytes(text.begin(), text.end());
    const ChunkId id = ChunkId::of(bytes);
    EXPECT_TRUE(into.put(id, bytes).ok());
    return id;
  }

  void record(int file, const std::vector<ChunkId>& chunks) {
    index::FileRecord record;
    record.manifest = ChunkId::of(Bytes{static_cast<std::uint8_t>(file), 0xfe});
    record.name = "file " + std::to_string(file);
    record.chunk_size = 4096;
    ASSERT_OK(index_->record_file(record, chunks));
  }

  GcReport collect(bool dry_run = false) {
    GcOptions options;
    options.dry_run = dry_run;
    auto report = gc_->collect(options);
    EXPECT_TRUE(report.ok()) << report.error().to_string();
    return report.ok() ? *report : GcReport{};
  }

  bool in_store(const ChunkId& id) { return *store_->contains(id); }

  dfs::testing::TempDir tmp_{"dfs-gc-test"};  // first: removed after the stores close
  std::string dir_;
  std::atomic<std::int64_t> now_{kStart};
  std::unique_ptr<store::DiskChunkStore> store_, cache_, held_;
  const dht::NodeId placer_{};  // the peer that put the leased chunks
  std::unique_ptr<index::Index> index_;
  store::InFlightChunks in_flight_;
  std::unique_ptr<LeaseBook> leases_;
  std::unique_ptr<GarbageCollector> gc_;
};

TEST_F(GcTest, ReferencedChunksAreKeptAndUnreferencedOnesCollected) {
  const ChunkId kept = chunk(*store_, 1), gone = chunk(*store_, 2);
  record(1, {kept});
  const GcReport report = collect();
  EXPECT_TRUE(in_store(kept));
  EXPECT_FALSE(in_store(gone));
  EXPECT_EQ(report.chunks_examined, 2u);
  EXPECT_EQ(report.chunks_collected, 1u);
  EXPECT_GT(report.bytes_freed, 0u);
}

TEST_F(GcTest, ALeasedChunkIsKeptUntilItsLeaseEndsThenCollected) {
  const ChunkId leased = ChunkId::of(Bytes{'x'});
  leases_->lease(leased, placer_, {});  // as ChunkServer does: before the put; buffered, and collect flushes it
  ASSERT_OK(store_->put(leased, Bytes{'x'}));
  EXPECT_EQ(collect().chunks_collected, 0u);
  now_ += kLease.count() - 1;
  EXPECT_EQ(collect().chunks_collected, 0u);
  EXPECT_TRUE(in_store(leased));
  now_ += 1;
  const GcReport report = collect();
  EXPECT_EQ(report.chunks_collected, 1u);
  EXPECT_EQ(report.leases_expired, 1u);
  EXPECT_FALSE(in_store(leased));
}

TEST_F(GcTest, ARenewedLeaseKeepsTheChunkLonger) {
  const ChunkId id = chunk(*store_, 3);
  leases_->lease(id, placer_, {});
  ASSERT_OK(leases_->flush());
  now_ += kLease.count() - 1;
  leases_->renew_placed_by({id}, placer_, {});  // the owner, which placed it, asks HAS_CHUNKS
  now_ += 10;
  collect();
  EXPECT_TRUE(in_store(id));
}

TEST_F(GcTest, AStrangerAskingAboutAChunkItDidNotPlaceDoesNotKeepItAlive) {
  const ChunkId id = chunk(*held_, 30);
  leases_->lease(id, placer_, {});
  dht::NodeId stranger;
  stranger.bytes[0] = 0x66;
  for (int round = 0; round < 3; ++round) {
    now_ += kLease.count() / 2;
    leases_->renew_placed_by({id}, stranger, {});
  }
  const GcReport report = collect();
  EXPECT_EQ(report.chunks_collected, 1u);
  EXPECT_FALSE(*held_->contains(id));
}

// Issue 15: the machine that recovered the placer's namespace renews with
// the placer's lease key (the signature is checked by ChunkServer); another
// key renews nothing, and a renewal counts from when it was signed, so a
// replay keeps nothing longer.
TEST_F(GcTest, AKeyedRenewalKeepsAChunkOnlyWithThePlacersKeyAndOnlyFromWhenItWasSigned) {
  const crypto::PublicKey owner{1}, stranger{2};
  const ChunkId id = chunk(*held_, 32);
  leases_->lease(id, placer_, owner);
  ASSERT_OK(leases_->flush());  // the lease runs from when it is recorded
  const std::int64_t signed_at = now_ + kLease.count() / 2;
  now_ += kLease.count() - 1;
  leases_->renew_keyed({id}, stranger, now_);
  leases_->renew_keyed({id}, owner, signed_at);  // replayed late: good until signed_at + kLease only
  now_ = signed_at + kLease.count() - 1;
  EXPECT_EQ(collect().chunks_collected, 0u);
  now_ += 1;
  EXPECT_EQ(collect().chunks_collected, 1u);
  EXPECT_FALSE(*held_->contains(id));
}

TEST_F(GcTest, AKeyedRenewalDatedFarAheadRenewsNothingAndAPlacerMayNameItsKeyLater) {
  const crypto::PublicKey owner{1};
  const ChunkId early = chunk(*held_, 33), later = chunk(*held_, 34);
  leases_->lease(early, placer_, owner);
  leases_->lease(later, placer_, {});  // placed before its node had a recovery key
  leases_->renew_placed_by({later}, placer_, owner);
  leases_->renew_keyed({early, later}, owner, now_ + kLease.count() + replicate::kMaxRenewalSkew + 1);
  now_ += kLease.count() - 1;
  leases_->renew_keyed({later}, owner, now_);
  now_ += 1;
  EXPECT_EQ(collect().chunks_collected, 1u);
  EXPECT_FALSE(*held_->contains(early)) << "a renewal dated far ahead kept the chunk";
  EXPECT_TRUE(*held_->contains(later)) << "the key the placer named later did not renew";
}

TEST_F(GcTest, ChunksHeldForOthersAreKeptWhileLeasedThenCollected) {
  const ChunkId id = chunk(*held_, 31);
  leases_->lease(id, placer_, {});
  now_ += kLease.count() - 1;
  leases_->renew(id);  // a current holder asks
  ASSERT_OK(leases_->flush());  // the lease runs from when it is recorded
  now_ += kLease.count() - 1;
  EXPECT_EQ(collect().chunks_collected, 0u);
  now_ += 1;
  EXPECT_EQ(collect().chunks_collected, 1u);
  EXPECT_FALSE(*held_->contains(id));
}

TEST_F(GcTest, AChunkWhosePutIsInProgressIsNeverCollected) {
  store::InFlightChunks::Hold hold = in_flight_.hold();
  const std::string text = "being committed";
  Bytes bytes(text.begin(), text.end());
  const ChunkId id = ChunkId::of(bytes);
  hold.add(id);
  ASSERT_OK(store_->put(id, bytes));
  const GcReport report = collect();
  EXPECT_TRUE(in_store(id));
  EXPECT_EQ(report.chunks_in_flight, 1u);
  record(7, {id});  // the commit's index transaction
  hold.release();
  collect();
  EXPECT_TRUE(in_store(id));
}

TEST_F(GcTest, ADryRunDeletesNothing) {
  const ChunkId id = chunk(*store_, 4);
  EXPECT_EQ(collect(/*dry_run=*/true).chunks_collected, 1u);
  EXPECT_TRUE(in_store(id));
}

TEST_F(GcTest, TheCacheDropsUnreferencedChunksEvenIfLeased) {
  const ChunkId cached = chunk(*cache_, 5), used = chunk(*cache_, 6);
  record(2, {used});
  leases_->lease(cached, placer_, {});
  const GcReport report = collect();
  EXPECT_EQ(report.cache_collected, 1u);
  EXPECT_FALSE(*cache_->contains(cached));
  EXPECT_TRUE(*cache_->contains(used));
}

TEST_F(GcTest, OldLeftoversInTmpAreRemovedAndFreshOnesKept) {
  const std::string old_file = store_->tmp_dir() + "/old.tmp", fresh_file = store_->tmp_dir() + "/fresh.tmp";
  std::ofstream(old_file) << "x";
  std::ofstream(fresh_file) << "x";
  const struct timeval two_hours_ago[2] = {{::time(nullptr) - 7200, 0}, {::time(nullptr) - 7200, 0}};
  ASSERT_EQ(::utimes(old_file.c_str(), two_hours_ago), 0);
  EXPECT_EQ(collect().temp_files_removed, 1u);
  EXPECT_FALSE(fs::exists(old_file));
  EXPECT_TRUE(fs::exists(fresh_file));
}

// Writers commit chunks (hold, put, index, release) while GC runs over and
// over: every chunk a writer recorded must still be there at the end.
TEST_F(GcTest, GcRacingCommitsNeverDeletesACommittedChunk) {
  std::atomic<bool> stop{false};
  std::thread collector([&] {
    while (!stop) (void)gc_->collect(GcOptions{});
  });
  std::vector<ChunkId> committed;
  for (int n = 0; n < 200; ++n) {
    store::InFlightChunks::Hold hold = in_flight_.hold();
    const std::string text = "racing " + std::to_string(n);
    Bytes bytes(text.begin(), text.end());
    const ChunkId id = ChunkId::of(bytes);
    hold.add(id);
    ASSERT_OK(store_->put(id, bytes));
    record(1000 + n, {id});
    committed.push_back(id);
    if (n % 3 == 0) chunk(*store_, 5000 + n);  // garbage for GC to find meanwhile
  }
  stop = true;
  collector.join();
  collect();
  for (const ChunkId& id : committed) EXPECT_TRUE(in_store(id)) << id.short_hex();
  EXPECT_EQ(store_->usage().chunks, committed.size());
}

TEST_F(GcTest, ChunksStoredBeforeLeasesExistedGetALeaseOnceAndSurviveTheFirstGc) {
  const ChunkId old_chunk = chunk(*store_, 8);  // as if received by a peer of schema v2
  ASSERT_OK(lease_chunks_from_before_leases(*store_, *index_, kLease));
  EXPECT_FALSE(*index_->leases_to_grant());
  const ChunkId new_orphan = chunk(*store_, 9);
  ASSERT_OK(lease_chunks_from_before_leases(*store_, *index_, kLease));  // done once: no lease for this one
  now_ = unix_seconds();
  collect();
  EXPECT_TRUE(in_store(old_chunk));
  EXPECT_FALSE(in_store(new_orphan));
}

TEST(NodeGc, AFilePutThroughTheNodeSurvivesGc) {
  dfs::testing::TempDir tmp("dfs-gc-node");
  ASSERT_TRUE(tmp.ok());
  const std::string dir = tmp.path();
  {
    NodeOptions options;
    options.data_dir = dir + "/data";
    options.chunk_size = 4096;
    options.durable = false;
    auto data_dir = std::move(DataDir::open(options)).value();
    auto node = std::make_unique<Node>(*data_dir);
    const std::string input = dir + "/input";
    std::ofstream(input) << std::string(20000, 'q');
    auto fd = open_file(input, O_RDONLY);
    ASSERT_OK(fd);
    auto put = node->put(fd->get(), "input", {}, {});
    ASSERT_OK(put);
    const std::uint64_t chunks = data_dir->store().usage().chunks;
    auto report = node->collect_garbage(GcOptions{});
    ASSERT_OK(report);
    EXPECT_EQ(report->chunks_collected, 0u);
    EXPECT_EQ(data_dir->store().usage().chunks, chunks);
  }
}

}  // namespace
}  // namespace dfs::node
