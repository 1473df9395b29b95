// Transfers: the queue of chunk RPCs and the backstop on each.
#include "dfs/replicate/transfers.hpp"

#include <deque>
#include <string>
#include <utility>

#include "describe.hpp"

namespace dfs::replicate {

using dht::Contact;

namespace {

// Wraps `done` so that it runs once: with the first of the real answer and
// Errc::timed_out (`what`) after `limit`. T is a Result or Status.
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

}  // namespace

// Bounds the RPCs in flight. A task gets a slot and a `release` to call
// once when its RPC is over; foreground tasks start before background ones.
//
// The state is shared with the releases handed out, so that a release
// arriving after the queue is destroyed finds it closed and does nothing.
class Transfers::Queue {
 public:
  using Task = std::function<void(Release)>;

  explicit Queue(std::size_t limit) : state_(std::make_shared<State>()) { state_->limit = std::max<std::size_t>(limit, 1); }
  ~Queue() {
    state_->closed = true;
    state_->foreground.clear();
    state_->background.clear();
  }
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;

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

Transfers::Transfers(ChunkClient& client, Scheduler& scheduler, BlockingRunner* runner, std::size_t parallel,
                     std::chrono::milliseconds timeout)
    : client_(client),
      scheduler_(scheduler),
      timeout_(timeout),
      queue_(std::make_unique<Queue>(parallel)),
      life_(scheduler, runner) {}

Transfers::~Transfers() { life_.cut(); }

template <typename T>
std::function<void(T)> Transfers::finish(Release release, std::string what, std::function<void(T)> done) {
  return answer_within<T>(scheduler_, timeout_, std::move(what),
                          life_.guard([release = std::move(release), done = std::move(done)](T result) {
                            release();
                            done(std::move(result));
                          }));
}

void Transfers::put(const Contact& to, const ChunkId& id, std::shared_ptr<const Bytes> sealed, bool background,
                    std::function<void(Status)> done) {
  queue_->submit(background, life_.guard([this, to, id, sealed = std::move(sealed),
                                          done = std::move(done)](Release release) mutable {
    client_.put_chunk(to, id, std::move(sealed),
                      finish<Status>(std::move(release), "PUT_CHUNK " + id.short_hex() + " to " + describe(to) +
                                                             " timed out",
                                     std::move(done)));
  }));
}

void Transfers::put_from(LocalChunks local, const Contact& to, const ChunkId& id, std::function<void(Status)> done) {
  queue_->submit(true, life_.guard([this, local, to, id, done = std::move(done)](Release release) mutable {
    life_.run_blocking<Result<Bytes>>(
        [local, id] { return local.get(id); },
        [this, to, id, done = std::move(done), release = std::move(release)](Result<Bytes> sealed) mutable {
          if (!sealed.ok()) {
            release();
            return done(sealed.take_error());
          }
          client_.put_chunk(to, id, std::move(sealed).value(),
                            finish<Status>(std::move(release),
                                           "PUT_CHUNK " + id.short_hex() + " to " + describe(to) + " timed out",
                                           std::move(done)));
        });
  }));
}

void Transfers::get(const Contact& to, const ChunkId& id, std::function<void(Result<Bytes>)> done,
                    std::function<void()> sent) {
  queue_->submit(false, life_.guard([this, to, id, done = std::move(done),
                                     sent = std::move(sent)](Release release) mutable {
    if (sent) sent();
    client_.get_chunk(to, id,
                      finish<Result<Bytes>>(std::move(release),
                                            "GET_CHUNK " + id.short_hex() + " from " + describe(to) + " timed out",
                                            std::move(done)));
  }));
}

void Transfers::has(const Contact& to, std::vector<ChunkId> ids,
                    std::function<void(Result<std::vector<bool>>)> done) {
  const std::size_t asked = ids.size();
  auto checked = [done = std::move(done), asked, to](Result<std::vector<bool>> r) {
    if (r.ok() && r->size() != asked) {
      r = make_error(Errc::corrupt, "HAS_CHUNKS answer from " + describe(to) + " has " + std::to_string(r->size()) +
                                        " entries for " + std::to_string(asked) + " chunks");
    }
    done(std::move(r));
  };
  queue_->submit(true, life_.guard([this, to, ids = std::move(ids),
                                    checked = std::move(checked)](Release release) mutable {
    client_.has_chunks(to, std::move(ids),
                       finish<Result<std::vector<bool>>>(std::move(release), "HAS_CHUNKS to " + describe(to) +
                                                                                 " timed out",
                                                         std::move(checked)));
  }));
}

}  // namespace dfs::replicate
