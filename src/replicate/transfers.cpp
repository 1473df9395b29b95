// Transfers: the queue of chunk RPCs and the backstop on each.
#include "dfs/replicate/transfers.hpp"

#include <algorithm>
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
// A transfer's share of the queue's limit is its size in units of
// kSmallTransfer, up to one full slot: `parallel` transfers of whole chunks
// at once, or many more small ones (a tree's small files and manifests),
// whose cost is in the round trip and the holder's commit, not in bytes.
// Transfers of unknown size (GET, a PUT read from disk) take a full slot.
constexpr std::size_t kSmallTransfer = 64 * 1024;
constexpr std::size_t kUnitsPerSlot = 16;  // a slot fits one chunk of 1 MiB

std::size_t units_for(std::size_t bytes) {
  return std::clamp<std::size_t>((bytes + kSmallTransfer - 1) / kSmallTransfer, 1, kUnitsPerSlot);
}

class Transfers::Queue {
 public:
  using Task = std::function<void(Release)>;

  explicit Queue(std::size_t slots) : state_(std::make_shared<State>()) {
    state_->limit = std::max<std::size_t>(slots, 1) * kUnitsPerSlot;
  }
  ~Queue() {
    state_->closed = true;
    state_->foreground.clear();
    state_->background.clear();
  }
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;

  void submit(bool background, std::size_t units, Task task) {
    (background ? state_->background : state_->foreground).push_back(Waiting{units, std::move(task)});
    pump(state_);
  }

 private:
  struct Waiting {
    std::size_t units;
    Task task;
  };
  struct State {
    std::size_t limit = kUnitsPerSlot;
    std::size_t active = 0;  // units of the transfers under way
    bool closed = false;
    std::deque<Waiting> foreground;
    std::deque<Waiting> background;
  };

  static void pump(const std::shared_ptr<State>& state) {
    while (!state->closed) {
      auto& queue = !state->foreground.empty() ? state->foreground : state->background;
      if (queue.empty()) return;
      const std::size_t units = queue.front().units;
      if (state->active > 0 && state->active + units > state->limit) return;  // in order: no overtaking
      Task task = std::move(queue.front().task);
      queue.pop_front();
      state->active += units;
      auto released = std::make_shared<bool>(false);
      task([state, released, units] {
        if (std::exchange(*released, true) || state->closed) return;
        state->active -= units;
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
  const std::size_t units = units_for(sealed ? sealed->size() : 0);
  queue_->submit(background, units, life_.guard([this, to, id, sealed = std::move(sealed),
                                          done = std::move(done)](Release release) mutable {
    client_.put_chunk(to, id, std::move(sealed), PlacerKey(),
                      finish<Status>(std::move(release), "PUT_CHUNK " + id.short_hex() + " to " + describe(to) +
                                                             " timed out",
                                     std::move(done)));
  }));
}

void Transfers::put_from(LocalChunks local, const Contact& to, const ChunkId& id, std::function<void(Status)> done) {
  queue_->submit(true, kUnitsPerSlot, life_.guard([this, local, to, id, done = std::move(done)](Release release) mutable {
    struct Read {
      Bytes sealed;
      PlacerKey lease_key;
    };
    life_.run_blocking<Result<Read>>(
        [local, id]() -> Result<Read> {
          DFS_ASSIGN_OR_RETURN(Bytes sealed, local.get(id));
          DFS_ASSIGN_OR_RETURN(PlacerKey key, local.lease_key_of(id));
          return Read{std::move(sealed), key};
        },
        [this, to, id, done = std::move(done), release = std::move(release)](Result<Read> read) mutable {
          if (!read.ok()) {
            release();
            return done(read.take_error());
          }
          client_.put_chunk(to, id, std::move(read->sealed), read->lease_key,
                            finish<Status>(std::move(release),
                                           "PUT_CHUNK " + id.short_hex() + " to " + describe(to) + " timed out",
                                           std::move(done)));
        });
  }));
}

void Transfers::get(const Contact& to, const ChunkId& id, std::function<void(Result<Bytes>)> done,
                    std::function<void()> sent) {
  queue_->submit(false, kUnitsPerSlot, life_.guard([this, to, id, done = std::move(done),
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
  queue_->submit(true, kUnitsPerSlot, life_.guard([this, to, ids = std::move(ids),
                                    checked = std::move(checked)](Release release) mutable {
    client_.has_chunks(to, std::move(ids),
                       finish<Result<std::vector<bool>>>(std::move(release), "HAS_CHUNKS to " + describe(to) +
                                                                                 " timed out",
                                                         std::move(checked)));
  }));
}

void Transfers::prove(const Contact& to, const ChunkId& id, const ProofNonce& nonce,
                      std::function<void(Result<crypto::Digest>)> done) {
  queue_->submit(true, 1, life_.guard([this, to, id, nonce, done = std::move(done)](Release release) mutable {
    client_.prove_chunk(to, id, nonce,
                        finish<Result<crypto::Digest>>(std::move(release), "PROVE_CHUNK " + id.short_hex() + " to " +
                                                                               describe(to) + " timed out",
                                                       std::move(done)));
  }));
}

}  // namespace dfs::replicate
