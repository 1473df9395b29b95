// RepairHealth: what the repair rounds found last, chunk by chunk, for
// `dfs status`'s verdict: how many of the chunks this peer holds have
// fewer than R copies now (not a running total: a chunk counts once,
// until a round finds it whole again), since when the oldest of them,
// how many copies are still to be made, and how fast repair made copies
// lately.
//
// Threading: the Replicator's rounds write it on the loop thread, status
// reads it from any thread; one mutex guards it all.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "dfs/chunk/chunk_id.hpp"

namespace dfs::replicate {

struct HealthSnapshot {
  std::uint64_t rounds = 0;              // rounds that finished: 0 = nothing judged yet
  std::uint64_t under_replicated = 0;    // chunks with fewer than R copies, as last checked
  std::uint64_t copies_missing = 0;      // copies they lack together: repair's queue
  std::chrono::seconds oldest{0};        // how long the longest-short chunk has been short
  std::uint64_t copies_last_minute = 0;  // repair's rate
};

class RepairHealth {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // A round checked `id` and found it `missing` copies short of R once its
  // own copies were made (0: whole).
  void checked(const ChunkId& id, std::uint32_t missing, TimePoint now);
  // Forgets the chunks not in `held` (sorted): collected, or handed on.
  void retain(const std::vector<ChunkId>& held);
  void copied(TimePoint now);
  void round_finished();

  HealthSnapshot snapshot(TimePoint now) const;

 private:
  struct Short {
    TimePoint since;
    std::uint32_t missing;
  };
  void drop_old_copies(TimePoint now) const;

  mutable std::mutex mu_;  // guards everything below
  std::uint64_t rounds_ = 0;
  std::unordered_map<ChunkId, Short> short_;
  mutable std::deque<TimePoint> recent_copies_;  // within the last minute, oldest first
};

}  // namespace dfs::replicate
