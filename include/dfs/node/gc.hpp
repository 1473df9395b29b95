// GarbageCollector: deletes the chunks nobody needs any more (DESIGN.md §4
// "Leases and GC"), from a peer's store/, held/ and cache/.
//
// A chunk in store/ is collected when no file of this peer's index
// references it (files put, filesystem versions, pins: all are chunk_refs
// rows), no unexpired lease holds it (chunks held for other peers), and no
// put of it is in progress (store/in_flight.hpp says why that is enough to
// make the race with commits safe); so is one in held/ (chunks other
// peers put here, under their own budget). cache/ holds copies of chunks other
// peers are responsible for: anything there that no file references goes,
// leases or not. Files left in the stores' tmp/ longer than `temp_age` are
// removed, and expired lease rows are dropped.
//
// Offline (`dfs gc`, the store locked by this process) nothing else can be
// putting, and the same code is simply never raced.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "dfs/index/index.hpp"
#include "dfs/node/leases.hpp"
#include "dfs/store/disk_chunk_store.hpp"
#include "dfs/store/in_flight.hpp"

namespace dfs::node {

struct GcOptions {
  bool dry_run = false;  // count what would go, delete nothing
  // A file in tmp/ this old is a put that died (a batch stays there from
  // its first put until its commit: minutes at most).
  std::chrono::seconds temp_age{std::chrono::hours(1)};
};

struct GcReport {
  std::uint64_t chunks_examined = 0;   // in store/ and cache/
  std::uint64_t chunks_collected = 0;  // from store/ and held/ (or would be, on a dry run)
  std::uint64_t cache_collected = 0;   // from cache/
  std::uint64_t bytes_freed = 0;       // 0 on a dry run
  std::uint64_t chunks_in_flight = 0;  // skipped: a put of them was in progress
  std::uint64_t temp_files_removed = 0;
  std::uint64_t leases_expired = 0;
};

class GarbageCollector {
 public:
  // None owned; all must outlive the collector. `leases` may be null.
  // `held` (chunks held for other peers, DATA/held/) is swept as store/ is.
  GarbageCollector(store::DiskChunkStore& store, store::DiskChunkStore& cache, index::Index& index,
                   store::InFlightChunks& in_flight, LeaseBook* leases, UnixClock clock = unix_seconds,
                   store::DiskChunkStore* held = nullptr);

  // One pass over both stores. Safe while puts and commits run (the
  // node's GC loop calls it from its own thread).
  Result<GcReport> collect(const GcOptions& options);

 private:
  // Chunks examined per exclusive section: bounds how long writers wait.
  static constexpr std::size_t kBatch = 1024;
  enum class Rule { unreferenced_and_unleased, unreferenced };
  std::vector<store::DiskChunkStore*> stores() const;
  std::uint64_t bytes_stored() const;
  Status sweep(store::DiskChunkStore& store, Rule rule, bool dry_run, std::uint64_t& collected, GcReport& report);

  store::DiskChunkStore& store_;
  store::DiskChunkStore& cache_;
  store::DiskChunkStore* held_;  // may be null
  index::Index& index_;
  store::InFlightChunks& in_flight_;
  LeaseBook* leases_;
  UnixClock clock_;
};

// Runs a collector every `interval` and flushes the lease book every
// `lease_flush_interval`, on a thread of its own, until destroyed.
class GcLoop {
 public:
  GcLoop(GarbageCollector& collector, LeaseBook& leases, std::chrono::milliseconds interval,
         std::chrono::milliseconds lease_flush_interval, GcOptions options);
  ~GcLoop();
  GcLoop(const GcLoop&) = delete;
  GcLoop& operator=(const GcLoop&) = delete;

 private:
  void run();

  GarbageCollector& collector_;
  LeaseBook& leases_;
  const std::chrono::milliseconds interval_;
  const std::chrono::milliseconds flush_interval_;
  const GcOptions options_;
  std::mutex mu_;  // guards stopping_
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once the rest is set
};

}  // namespace dfs::node
