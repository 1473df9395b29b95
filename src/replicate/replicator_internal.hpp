// Pieces of the Replicator shared by its source files (replicator.cpp,
// fetch.cpp, repair.cpp): the counters, the transfer queue, and the
// templates that keep callbacks safe. Not part of the public API.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "dfs/replicate/replicator.hpp"
#include "dfs/store/chunk_source.hpp"
#include "dfs/store/chunk_store.hpp"

namespace dfs::replicate {

struct Replicator::Counters {
  std::atomic<std::uint64_t> replicated{0};
  std::atomic<std::uint64_t> copies_pushed{0};
  std::atomic<std::uint64_t> fetches{0};
  std::atomic<std::uint64_t> fetch_failures{0};
  std::atomic<std::uint64_t> corrupt_responses{0};
  std::atomic<std::uint64_t> repair_rounds{0};
  std::atomic<std::uint64_t> chunks_checked{0};
  std::atomic<std::uint64_t> repair_lookups{0};
  std::atomic<std::uint64_t> under_replicated{0};
  std::atomic<std::uint64_t> copies_made{0};
  std::atomic<std::uint64_t> repair_failures{0};
  std::atomic<std::int64_t> last_sweep_started{0};
};

// Counters are written on the loop thread and only read elsewhere, and no
// other data is published through them: relaxed is enough.
inline void bump(std::atomic<std::uint64_t>& counter, std::uint64_t n = 1) {
  counter.fetch_add(n, std::memory_order_relaxed);
}

// Bounds the chunk RPCs in flight (ReplicationConfig::parallel_transfers).
// A task gets a slot and a `release` to call once when its RPC is over;
// foreground tasks (replicate, fetch) start before background ones
// (repair). Loop thread only.
//
// The state is shared with the releases handed out, so that a release
// arriving after the queue is destroyed finds it closed and does nothing.
class Replicator::TransferQueue {
 public:
  using Release = std::function<void()>;
  using Task = std::function<void(Release)>;

  explicit TransferQueue(std::size_t limit) : state_(std::make_shared<State>()) { state_->limit = limit; }
  ~TransferQueue() {
    state_->closed = true;
    state_->foreground.clear();
    state_->background.clear();
  }
  TransferQueue(const TransferQueue&) = delete;
  TransferQueue& operator=(const TransferQueue&) = delete;

  void submit(bool background, Task task) {
    (background ? state_->background : state_->foreground).push_back(std::move(task));
    pump(state_);
  }

 private:
  struct State {
    std::size_t limit = 1;
    std::size_t active = 0;
    bool closed = false;
    std::deque<Task> foreground;
    std::deque<Task> background;
  };

  static void pump(const std::shared_ptr<State>& state) {
    while (!state->closed && state->active < state->limit) {
      auto& queue = !state->foreground.empty() ? state->foreground : state->background;
      if (queue.empty()) return;
      Task task = std::move(queue.front());
      queue.pop_front();
      ++state->active;
      auto released = std::make_shared<bool>(false);
      task([state, released] {
        if (std::exchange(*released, true) || state->closed) return;
        --state->active;
        pump(state);
      });
    }
  }

  std::shared_ptr<State> state_;
};

template <typename F>
auto Replicator::guard(F fn) {
  return [alive = std::weak_ptr<int>(alive_), fn = std::move(fn)](auto&&... args) mutable {
    if (alive.expired()) return;
    fn(std::forward<decltype(args)>(args)...);
  };
}

template <typename T>
void Replicator::run_blocking(std::function<T()> work, std::function<void(T)> then) {
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

// Wraps `done` so that it runs once: with the first of the real answer and
// Errc::timed_out (`what`) after `limit`. A backstop against a ChunkClient
// that never answers; T is a Result or Status. Loop thread only.
template <typename T>
std::function<void(T)> answer_within(Scheduler& scheduler, std::chrono::milliseconds limit, std::string what,
                                     std::function<void(T)> done) {
  struct State {
    std::function<void(T)> done;
    std::uint64_t timer = 0;
  };
  auto state = std::make_shared<State>();
  state->done = std::move(done);
  state->timer = scheduler.schedule(limit, [state, what = std::move(what)] {
    if (auto fn = std::exchange(state->done, nullptr)) fn(T(make_error(Errc::timed_out, what)));
  });
  return [state, &scheduler](T result) {
    if (auto fn = std::exchange(state->done, nullptr)) {
      scheduler.cancel(state->timer);
      fn(std::move(result));
    }
  };
}

// The chunks this peer has: the store it serves, and the owned store (may
// be null). Blocking work captures this by value rather than the
// Replicator, which may be gone before the work ends; the stores outlive
// it.
struct LocalChunks {
  store::ChunkStore& store;
  store::ChunkStore* owned;

  // From the store, else from the owned store: the chunk chain's first
  // links (store/chunk_source.hpp), with its rule for corrupt copies.
  Result<Bytes> get(const ChunkId& id) const {
    if (owned == nullptr) return store.get(id);
    return store::FallbackChunkStore(store, *owned, store::FallbackChunkStore::Keep::nothing).get(id);
  }

  // Makes sure the store (which is served) holds `id`, moving it out of
  // the owned store if only that one does. The store's put verifies the
  // bytes against `id` and is durable before the owned copy goes.
  Status serve(const ChunkId& id) const {
    DFS_ASSIGN_OR_RETURN(const bool served, store.contains(id));
    if (served || owned == nullptr) return {};
    Result<Bytes> bytes = owned->get(id);
    if (!bytes.ok() && bytes.error().code == Errc::not_found) return {};  // GC took it meanwhile
    if (!bytes.ok()) return bytes.take_error();
    DFS_TRY(store.put(id, *bytes));
    Status removed = owned->remove(id);
    if (!removed.ok() && removed.error().code != Errc::not_found) return removed;
    return {};
  }

  // Every chunk of both, each once (a chunk can sit in both for a moment
  // while the owner moves it to its cache).
  Result<std::vector<ChunkId>> list() const {
    DFS_ASSIGN_OR_RETURN(std::vector<ChunkId> all, store.list());
    if (owned == nullptr) return all;
    DFS_ASSIGN_OR_RETURN(std::vector<ChunkId> more, owned->list());
    all.insert(all.end(), more.begin(), more.end());
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    return all;
  }
};

// "3f2a9c01b2d4 at host:port", for logs and error messages.
inline std::string describe(const dht::Contact& peer) { return peer.id.short_hex() + " at " + peer.address; }

}  // namespace dfs::replicate
