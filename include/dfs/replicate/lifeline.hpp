// Lifeline: what every part of the replication engine (Placer, Fetcher,
// Repairer, Transfers, ClosestPeers) needs to live on the Scheduler's loop:
// callbacks that do nothing once their part is gone, and blocking work
// (disk, hashing) run through a BlockingRunner with the answer back on the
// loop.
//
// A part holds a Lifeline and cuts it first thing in its destructor: from
// then on every guarded callback it handed out (to the Dht, a ChunkClient,
// the Scheduler, a runner, another part) returns without touching it. So a
// part may be destroyed on the loop thread with operations in flight.
//
// Loop thread only, like the parts.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <utility>

#include "dfs/replicate/blocking_runner.hpp"
#include "dfs/util/scheduler.hpp"

namespace dfs::replicate {

class Lifeline {
 public:
  // `runner` may be null: blocking work then runs on the loop thread (see
  // blocking_runner.hpp). Both must outlive the Lifeline.
  Lifeline(Scheduler& scheduler, BlockingRunner* runner) : scheduler_(scheduler), runner_(runner) {}
  ~Lifeline() { cut(); }
  Lifeline(const Lifeline&) = delete;
  Lifeline& operator=(const Lifeline&) = delete;

  // Every callback guarded so far, and from now on, does nothing.
  void cut() { alive_.reset(); }

  // `fn`, made to do nothing once the Lifeline is cut.
  template <typename F>
  auto guard(F fn) const {
    return [alive = std::weak_ptr<int>(alive_), fn = std::move(fn)](auto&&... args) mutable {
      if (alive.expired()) return;
      fn(std::forward<decltype(args)>(args)...);
    };
  }

  // Runs `fn` on a later turn of the loop, unless cut by then.
  void post(std::function<void()> fn) { after(std::chrono::milliseconds(0), std::move(fn)); }
  // Runs `fn` on the loop once `delay` has passed, unless cut by then.
  void after(std::chrono::milliseconds delay, std::function<void()> fn) {
    scheduler_.schedule(delay, guard(std::move(fn)));
  }

  // Runs `work` through the runner (or on this thread) and `then(result)`
  // on a later turn of the loop, unless cut by then. `work` may run after
  // the part is gone: it must capture what it uses by value.
  template <typename T>
  void run_blocking(std::function<T()> work, std::function<void(T)> then) {
    // The worker writes the slot, the loop reads it after the runner's
    // hand-off, which orders the two.
    auto slot = std::make_shared<std::optional<T>>();
    std::function<void()> finish = guard([slot, then = std::move(then)]() mutable { then(std::move(**slot)); });
    if (runner_ == nullptr) {
      slot->emplace(work());
      scheduler_.schedule(std::chrono::milliseconds(0), std::move(finish));
      return;
    }
    runner_->run([slot, work = std::move(work)] { slot->emplace(work()); }, std::move(finish));
  }

  Scheduler& scheduler() const { return scheduler_; }

 private:
  Scheduler& scheduler_;
  BlockingRunner* runner_;  // may be null
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace dfs::replicate
