// BlockingRunner: where the Replicator runs the work that must not block
// the network loop (DESIGN.md §6) — reads from the local ChunkStore (disk)
// and SHA-256 checks of fetched chunks (CPU) — and how the result comes
// back to the loop thread.
//
// Without a runner the Replicator does that work on the loop thread (still
// answering on a later turn): right for the single-threaded simulator and
// a memory store, wrong for a disk store behind a busy network loop.
#pragma once

#include <functional>

#include "dfs/util/worker_pool.hpp"

namespace dfs::replicate {

class BlockingRunner {
 public:
  virtual ~BlockingRunner() = default;
  // Runs `work` on another thread, then `then` on the loop thread (never
  // from inside run()). Everything `work` writes is visible to `then`.
  // Both are always called, even when the Replicator that asked is gone by
  // then (they carry its liveness check).
  virtual void run(std::function<void()> work, std::function<void()> then) = 0;
};

// A BlockingRunner over a WorkerPool. `post_to_loop` must be callable from
// any thread and run its function on the loop thread on a later turn —
// e.g. [&io](auto fn) { boost::asio::post(io, std::move(fn)); }.
//
// Lifetime: jobs already on the pool touch the ChunkStore and call
// `post_to_loop` even after the Replicator is destroyed, so the pool must
// be stopped (joined) before the store and the loop are destroyed.
class PoolRunner final : public BlockingRunner {
 public:
  using PostFn = std::function<void(std::function<void()>)>;
  PoolRunner(WorkerPool& pool, PostFn post_to_loop) : pool_(pool), post_(std::move(post_to_loop)) {}

  void run(std::function<void()> work, std::function<void()> then) override {
    pool_.submit([work = std::move(work), then = std::move(then), post = post_]() mutable {
      work();
      post(std::move(then));
    });
  }

 private:
  WorkerPool& pool_;
  PostFn post_;
};

}  // namespace dfs::replicate
