// Scheduler: a single-threaded event loop with timers (DESIGN.md §6), the
// one the DHT and the Replicator run on.
//
// In a peer it is the Boost.Asio io_context of the network
// (p2p/net_adapters.hpp); in tests it is the simulator's virtual clock,
// which runs thousands of nodes in one thread. Every Dht and Replicator
// method, every Transport callback and every scheduled function runs on
// this loop's thread, so they need no locks.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace dfs {

class Scheduler {
 public:
  virtual ~Scheduler() = default;

  // The loop's current time (virtual in the simulator).
  virtual std::chrono::steady_clock::time_point now() = 0;

  // Runs `fn` on the loop after `delay` (0: on a later turn of the loop,
  // never from inside schedule()). Returns a timer ID for cancel(); IDs are
  // never 0 and never reused.
  virtual std::uint64_t schedule(std::chrono::milliseconds delay, std::function<void()> fn) = 0;

  // Drops a timer that has not fired yet; a no-op for fired, cancelled or
  // unknown IDs.
  virtual void cancel(std::uint64_t timer) = 0;
};

}  // namespace dfs
