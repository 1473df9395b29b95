// The wall clock, read in one place.
//
// Every layer stamps things with the time of day: inode times (fs/, index/),
// when a file was added (index/), when a lease ends (node/), unique names
// (store/). They all read it here, in the units the formats store. Code
// that tests must drive (leases, GC) takes a UnixClock instead of calling
// unix_seconds() itself; a timed loop takes a Scheduler (scheduler.hpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace dfs {

// Seconds since the Unix epoch.
inline std::int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Nanoseconds since the Unix epoch (the precision of an inode's times).
inline std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A source of unix_seconds() that a test can replace with its own.
using UnixClock = std::function<std::int64_t()>;

}  // namespace dfs
