// EventLoop: a virtual clock and event queue implementing Scheduler for
// every node of a simulation, in one thread. Time only moves when the loop
// runs an event, so a simulated hour costs what its events cost, and a run
// is a deterministic function of the events scheduled (ties run in the
// order they were scheduled).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <queue>
#include <unordered_map>
#include <vector>

#include "dfs/util/scheduler.hpp"

namespace dfs::sim {

using TimePoint = std::chrono::steady_clock::time_point;
using std::chrono::milliseconds;

class EventLoop final : public Scheduler {
 public:
  // Virtual time starts an hour past the clock's epoch, so that "never"
  // (a default TimePoint) is always long ago.
  EventLoop();

  TimePoint now() override { return now_; }
  std::uint64_t schedule(milliseconds delay, std::function<void()> fn) override;
  void cancel(std::uint64_t timer) override;

  // Runs the next event, advancing the clock to it. False if none is left.
  bool run_one();
  // Runs events until `pred` holds (checked after each) or none is left;
  // returns pred(). Events later than `deadline` are not run (the clock
  // stops at the deadline), so periodic timers cannot make it spin forever.
  bool run_until(const std::function<bool()>& pred, TimePoint deadline);
  // Runs every event up to now() + d, then sets the clock to now() + d.
  void run_for(milliseconds d);

  std::size_t pending() const { return functions_.size(); }
  std::uint64_t events_run() const { return events_run_; }

 private:
  struct Entry {
    TimePoint when;
    std::uint64_t id;  // also the tie-break: FIFO among equal times
    bool operator>(const Entry& o) const { return when != o.when ? when > o.when : id > o.id; }
  };
  // Drops cancelled entries at the head of the queue.
  void skip_cancelled();

  TimePoint now_;
  std::uint64_t next_id_ = 1;
  std::uint64_t events_run_ = 0;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> queue_;
  // Pending functions by timer ID; cancel() erases, leaving a stale queue
  // entry that skip_cancelled() discards.
  std::unordered_map<std::uint64_t, std::function<void()>> functions_;
};

}  // namespace dfs::sim
