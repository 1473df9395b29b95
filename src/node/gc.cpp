#include "dfs/node/gc.hpp"

#include <algorithm>

#include "dfs/util/log.hpp"

namespace dfs::node {

GarbageCollector::GarbageCollector(store::DiskChunkStore& store, store::DiskChunkStore& cache, index::Index& index,
                                   store::InFlightChunks& in_flight, LeaseBook* leases, UnixClock clock,
                                   store::DiskChunkStore* held)
    : store_(store),
      cache_(cache),
      held_(held),
      index_(index),
      in_flight_(in_flight),
      leases_(leases),
      clock_(std::move(clock)) {}

std::vector<store::DiskChunkStore*> GarbageCollector::stores() const {
  std::vector<store::DiskChunkStore*> all{&store_, &cache_};
  if (held_ != nullptr) all.push_back(held_);
  return all;
}

std::uint64_t GarbageCollector::bytes_stored() const {
  std::uint64_t bytes = 0;
  for (const store::DiskChunkStore* store : stores()) bytes += store->usage().bytes;
  return bytes;
}

Result<GcReport> GarbageCollector::collect(const GcOptions& options) {
  GcReport report;
  // Buffered leases first, so that they count (held chunks are skipped
  // anyway; this just lets GC judge them instead of skipping them).
  if (leases_ != nullptr) DFS_TRY(leases_->flush());
  const std::uint64_t bytes_before = bytes_stored();
  DFS_TRY(sweep(store_, Rule::unreferenced_and_unleased, options.dry_run, report.chunks_collected, report));
  if (held_ != nullptr) {
    DFS_TRY(sweep(*held_, Rule::unreferenced_and_unleased, options.dry_run, report.chunks_collected, report));
  }
  DFS_TRY(sweep(cache_, Rule::unreferenced, options.dry_run, report.cache_collected, report));
  const std::uint64_t bytes_after = bytes_stored();
  report.bytes_freed = bytes_before > bytes_after ? bytes_before - bytes_after : 0;
  if (!options.dry_run) {
    for (store::DiskChunkStore* store : stores()) {
      DFS_ASSIGN_OR_RETURN(std::uint64_t removed, store->remove_temp_files_older_than(options.temp_age));
      report.temp_files_removed += removed;
    }
    DFS_ASSIGN_OR_RETURN(report.leases_expired, index_.drop_expired_leases(clock_()));
  }
  return report;
}

Status GarbageCollector::sweep(store::DiskChunkStore& store, Rule rule, bool dry_run, std::uint64_t& collected,
                               GcReport& report) {
  DFS_ASSIGN_OR_RETURN(std::vector<ChunkId> listed, store.list());
  report.chunks_examined += listed.size();
  for (std::size_t first = 0; first < listed.size(); first += kBatch) {
    const std::size_t last = std::min(listed.size(), first + kBatch);
    // Writers wait from here until the batch is decided and deleted: see
    // store/in_flight.hpp for why that makes the index read safe.
    auto exclusive = in_flight_.exclude_writers();
    std::vector<ChunkId> candidates;
    for (std::size_t i = first; i < last; ++i) {
      if (exclusive.held(listed[i])) {
        ++report.chunks_in_flight;
      } else {
        candidates.push_back(listed[i]);
      }
    }
    DFS_ASSIGN_OR_RETURN(std::vector<ChunkId> garbage, rule == Rule::unreferenced
                                                           ? index_.unreferenced(candidates)
                                                           : index_.collectable(candidates, clock_()));
    // The index read above may include namespace commits not yet durable
    // (an unlink, a replaced version): a power loss could bring them back,
    // pointing at chunks deleted here. Durable first, then delete.
    if (!dry_run && !garbage.empty()) DFS_TRY(index_.make_durable([this] { return store_.sync(); }));
    for (const ChunkId& id : garbage) {
      if (dry_run) {
        ++collected;
        continue;
      }
      Status removed = store.remove(id);
      if (removed.ok()) {
        ++collected;
      } else if (removed.error().code != Errc::not_found) {
        return removed;
      }
    }
  }
  return {};
}

GcLoop::GcLoop(GarbageCollector& collector, LeaseBook& leases, std::chrono::milliseconds interval,
               std::chrono::milliseconds lease_flush_interval, GcOptions options)
    : collector_(collector),
      leases_(leases),
      interval_(interval),
      flush_interval_(lease_flush_interval),
      options_(options),
      thread_([this] { run(); }) {}

GcLoop::~GcLoop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void GcLoop::run() {
  using Clock = std::chrono::steady_clock;
  auto next_gc = Clock::now() + interval_;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    const auto next_wake = std::min(next_gc, Clock::now() + flush_interval_);
    if (wake_.wait_until(lock, next_wake, [this] { return stopping_; })) return;
    lock.unlock();
    Status flushed = leases_.flush();
    if (!flushed.ok()) log::warn("recording leases: " + flushed.error().to_string() + "; will retry");
    if (Clock::now() >= next_gc) {
      auto report = collector_.collect(options_);
      if (!report.ok()) {
        log::warn("garbage collection failed: " + report.error().to_string());
      } else if (report->chunks_collected + report->cache_collected + report->temp_files_removed > 0) {
        log::info("garbage collection: " + std::to_string(report->chunks_collected) + " chunks collected, " +
                  std::to_string(report->cache_collected) + " from the cache, " +
                  std::to_string(report->bytes_freed) + " bytes freed");
      }
      next_gc = Clock::now() + interval_;
    }
    lock.lock();
  }
}

}  // namespace dfs::node
