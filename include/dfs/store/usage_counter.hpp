// UsageCounter: the usage and quota bookkeeping shared by ChunkStore
// implementations and decorators.
//
// A put first reserves its size, then writes, then commits the reservation
// (or lets it go on failure). Because reserved space counts against the
// quota, concurrent puts can never overshoot it together, and a failed put
// leaves the usage exactly as it was.
#pragma once

#include <cstdint>
#include <mutex>

#include "dfs/store/chunk_store.hpp"

namespace dfs::store {

class UsageCounter {
 public:
  // Space held for one put in flight; released on destruction unless
  // committed. Move-only; must not outlive its counter.
  class Reservation {
   public:
    Reservation(Reservation&& other) noexcept;
    Reservation& operator=(Reservation&&) = delete;
    Reservation(const Reservation&) = delete;
    Reservation& operator=(const Reservation&) = delete;
    ~Reservation();

    // The chunk is now stored: the reserved bytes become one stored chunk.
    void commit();

   private:
    friend class UsageCounter;
    Reservation(UsageCounter* counter, std::uint64_t bytes) : counter_(counter), bytes_(bytes) {}
    UsageCounter* counter_;  // null once committed or moved from
    std::uint64_t bytes_;
  };

  explicit UsageCounter(std::uint64_t quota_bytes) { usage_.quota_bytes = quota_bytes; }

  // Reserves `bytes` for a put, or fails with Errc::no_space if the stored
  // bytes plus all reservations plus `bytes` would exceed the quota.
  Result<Reservation> reserve(std::uint64_t bytes);

  // Records a chunk found on disk (at open) or gone from it (remove,
  // quarantine), outside of any reservation.
  void add_stored(std::uint64_t bytes);
  void remove_stored(std::uint64_t bytes);

  Usage usage() const;

 private:
  void commit(std::uint64_t bytes);
  void release(std::uint64_t bytes);

  // A leaf lock: nothing else is locked while it is held, so callers may
  // hold their own locks when they call in.
  mutable std::mutex mutex_;
  Usage usage_;                  // guarded by mutex_ (quota_bytes is fixed)
  std::uint64_t reserved_ = 0;   // guarded by mutex_: bytes of puts in flight
};

}  // namespace dfs::store
