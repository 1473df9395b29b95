// Scheduler: the single-threaded event loop the DHT runs on (DESIGN.md §6).
//
// In a peer it is the Boost.Asio io_context of the network (implemented in
// net/ or node/); in tests it is the simulator's virtual clock, which runs
// thousands of nodes in one thread. Every Dht method, every Transport
// callback and every scheduled function runs on this loop's thread, so the
// DHT needs no locks.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace dfs::dht {

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

}  // namespace dfs::dht
