// Replicator: places chunks on the R peers closest to their IDs, fetches
// them back, and repairs placement when peers die (DESIGN.md §4).
//
// It works over injected interfaces — the Dht (who is closest), a
// ChunkClient (chunk RPCs to peers), the local ChunkStore (and optionally
// the store of owned chunks, see the constructor), the Scheduler
// (loop and timers) and an optional BlockingRunner (disk and hashing off
// the loop) — so the same code runs on the simulator in tests and over TLS
// in a peer.
//
// Threading: every method, and every callback it takes, runs on the
// Scheduler's loop thread; the Replicator has no locks. Callbacks are never
// called from inside the method that takes them. stats() alone may be read
// from any thread (the counters are atomics), for `dfs status`.
//
// Lifetime: the Dht, ChunkClient, ChunkStores and Scheduler must outlive the
// Replicator. It may be destroyed (on the loop thread) with operations in
// flight: their callbacks then do nothing and unfinished `done` functions
// are never called.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "dfs/dht/dht.hpp"
#include "dfs/replicate/blocking_runner.hpp"
#include "dfs/replicate/chunk_client.hpp"
#include "dfs/replicate/chunk_location.hpp"
#include "dfs/replicate/config.hpp"
#include "dfs/replicate/placement.hpp"
#include "dfs/replicate/repair_health.hpp"
#include "dfs/store/chunk_store.hpp"

namespace dfs::replicate {

// The outcome of replicate(): never an error for network trouble, which is
// what `confirmed < wanted` says.
struct ReplicaReport {
  std::size_t wanted = 0;     // R
  // Copies known to exist on their intended holders: the peers that
  // acknowledged the PUT, plus this node when it is one of the R closest.
  std::size_t confirmed = 0;
  bool self_is_replica = false;
  std::vector<dht::Contact> holders;  // the peers that acknowledged (not self)

  bool under_replicated() const { return confirmed < wanted; }
};

// Counters since construction, for `dfs status` and tests.
struct ReplicatorStats {
  std::uint64_t replicated = 0;         // replicate() calls finished
  std::uint64_t copies_pushed = 0;      // PUTs acknowledged, by replicate() and repair
  std::uint64_t fetches = 0;            // fetch() calls finished
  std::uint64_t fetch_failures = 0;     // of which failed
  std::uint64_t corrupt_responses = 0;  // GET answers whose bytes did not match the ID

  std::uint64_t repair_rounds = 0;      // rounds completed
  std::uint64_t chunks_checked = 0;     // chunks whose placement a round checked
  std::uint64_t repair_lookups = 0;     // DHT lookups rounds made to place them
  std::uint64_t under_replicated = 0;   // of which fewer than R placed holders had a copy (a running total: see health())
  std::uint64_t copies_made = 0;        // copies repair pushed successfully
  std::uint64_t repair_failures = 0;    // HAS or PUT RPCs of repair that failed
};

class Replicator {
 public:
  // Fields of `config` out of range are clamped (with a warning), and
  // `replicas` to the DHT's k. `runner` may be null: blocking work then
  // runs on the loop thread (see blocking_runner.hpp); if set, it must
  // outlive the Replicator.
  //
  // `store` holds the chunks this peer serves as one of their R closest.
  // `owned` (may be null) holds chunks this peer keeps for its own files
  // but does not serve — a node's cache/ of chunks other peers are
  // responsible for. Nobody else checks those on the owner's behalf, so
  // repair covers them too: its HAS_CHUNKS renews their leases on the
  // holders (DESIGN.md §4, Leases and GC), and a holder that lacks one
  // gets a copy. Chunks are read from `store`, else from `owned`.
  Replicator(dht::Dht& dht, ChunkClient& client, store::ChunkStore& store, Scheduler& scheduler,
             ReplicationConfig config = {}, BlockingRunner* runner = nullptr, store::ChunkStore* owned = nullptr);
  ~Replicator();
  Replicator(const Replicator&) = delete;
  Replicator& operator=(const Replicator&) = delete;

  // Pushes the chunk (read from the local or the owned store) to the R peers closest to
  // its ID, in parallel; this node counts as one of them when it is among
  // the R closest. A replica that refuses or cannot be reached is replaced
  // by the next closest peer the lookup found (at most R such stand-ins). With fewer peers than R,
  // every peer gets a copy and the report says under-replicated. Fails only
  // when the chunk cannot be read locally (not_found, corrupt, io_error);
  // with no peer to push to it is not read at all.
  void replicate(const ChunkId& id, std::function<void(Result<ReplicaReport>)> done);
  // The same for a chunk whose sealed bytes the caller holds (a put that
  // just sealed them): no read back from the store, so a put can stream
  // each chunk to its peers while it is still reading the file. `sealed`
  // must hash to `id` (receivers check it anyway). Never fails.
  void replicate_sealed(const ChunkId& id, std::shared_ptr<const Bytes> sealed,
                        std::function<void(Result<ReplicaReport>)> done);

  // The chunk's sealed bytes, verified against `id`, from the peers
  // closest to the ID, closest first (never from the local stores, which
  // the caller's chunk chain, store/chunk_source.hpp, asked already) (see
  // ReplicationConfig's fetch_* fields for how many at once). A failed,
  // missing or corrupt answer falls back to the next peer; corrupt ones
  // are logged with the peer's ID and address. Fails with
  // Errc::unavailable (saying how many peers were asked and how they
  // failed) when none could serve it, at the latest after fetch_timeout.
  // Fetched chunks are not stored locally: caching is the caller's choice.
  void fetch(const ChunkId& id, std::function<void(Result<Bytes>)> done);

  // Which of the R closest live peers of each chunk hold it (HAS_CHUNKS
  // to each; `dfs where` and `dfs check`). `done` gets one ChunkLocation
  // per chunk, in the order asked. Never fails: an unreachable peer is
  // listed as such.
  void locate(std::vector<ChunkId> ids, std::function<void(std::vector<ChunkLocation>)> done);

  // Runs a repair round every repair_interval (the first one after a
  // jittered interval): for chunks of the local and the owned store (one
  // walk over both, in ID order), finds the R closest
  // live peers, asks each, in HAS_CHUNKS batches, which of its chunks it
  // holds, and pushes the missing copies. stop() cancels the next round; a
  // round in progress still finishes.
  void start();
  void stop();
  bool running() const { return running_; }

  // Runs one repair round now (if none is in progress) and calls `done`
  // when it ends. For tests and an operator's "repair now".
  void repair_now(std::function<void()> done);

  const ReplicationConfig& config() const { return config_; }
  ReplicatorStats stats() const;
  // The chunks short of copies now, as the rounds last found them; from
  // any thread.
  HealthSnapshot health() const { return health_->snapshot(scheduler_.now()); }

 private:
  struct ReplicateOp;
  struct FetchOp;
  struct LocateOp;
  class RepairRound;
  class TransferQueue;
  struct Counters;

  // Runs `work` through the runner (or on this thread) and `then(result)`
  // on a later turn of the loop, unless the Replicator is gone by then.
  template <typename T>
  void run_blocking(std::function<T()> work, std::function<void(T)> then);
  // Wraps `fn` so that it does nothing once the Replicator is destroyed.
  template <typename F>
  auto guard(F fn);
  // Runs `fn` on a later turn of the loop, unless the Replicator is gone.
  void post(std::function<void()> fn);

  // The chunk RPCs, through the transfer queue (repair waits behind user
  // operations) with the transfer_timeout backstop.
  void push(const dht::Contact& to, const ChunkId& id, std::shared_ptr<const Bytes> sealed, bool background,
            std::function<void(Status)> done);
  void get(const dht::Contact& to, const ChunkId& id, std::function<void(Result<Bytes>)> done);
  void has(const dht::Contact& to, std::vector<ChunkId> ids, std::function<void(Result<std::vector<bool>>)> done);
  // Repair's PUT: reads the chunk (LocalChunks) once a slot is granted.
  void push_from_store(const dht::Contact& to, const ChunkId& id, std::function<void(Status)> done);

  // The peers closest to `key`, as a lookup finds them, or from the peer
  // set of a small network (ReplicationConfig::small_network_ttl). `done`
  // runs on a later turn of the loop either way.
  void closest_peers(const dht::NodeId& key, std::function<void(std::vector<dht::Contact>)> done);
  // A peer did not answer: the cached peer set may be stale.
  void forget_peer_set() { small_network_.reset(); }

  // replicate() steps.
  void read_and_push(const std::shared_ptr<ReplicateOp>& op);
  void place_and_push(const std::shared_ptr<ReplicateOp>& op);
  void push_replica(const std::shared_ptr<ReplicateOp>& op, const dht::Contact& to);
  // fetch() steps.
  void fetch_from_peers(const std::shared_ptr<FetchOp>& op);
  void note_silent_holders(FetchOp& op);
  void fetch_more(const std::shared_ptr<FetchOp>& op);
  void fetch_answer(const std::shared_ptr<FetchOp>& op, const dht::Contact& from, Result<Bytes> answer);
  void fetch_checked(const std::shared_ptr<FetchOp>& op, const dht::Contact& from,
                     std::shared_ptr<Bytes> bytes, Status verified);
  void fetch_finish(const std::shared_ptr<FetchOp>& op, Result<Bytes> result);

  // locate() steps (locate.cpp).
  void locate_more(const std::shared_ptr<LocateOp>& op);
  void locate_check(const std::shared_ptr<LocateOp>& op, std::size_t at, const Placement& placement);

  void schedule_round();
  // Starts a round, or adds `done` (may be null) to the one in progress.
  void start_round(std::function<void()> done);
  void round_finished(std::optional<ChunkId> cursor, std::vector<std::function<void()>> waiters);
  std::chrono::milliseconds jittered_interval();

  dht::Dht& dht_;
  ChunkClient& client_;
  store::ChunkStore& store_;
  store::ChunkStore* owned_;  // may be null
  Scheduler& scheduler_;
  const ReplicationConfig config_;
  BlockingRunner* runner_;  // may be null
  std::unique_ptr<TransferQueue> transfers_;
  std::unique_ptr<Counters> counters_;  // atomics: readable from any thread
  // Shared with the blocking jobs of rounds, which may outlive the Replicator.
  std::shared_ptr<RepairHealth> health_ = std::make_shared<RepairHealth>();  // locks: readable from any thread

  // Every peer of a network smaller than k, as a recent lookup found them,
  // and until when to trust that (loop thread).
  struct PeerSet {
    std::vector<dht::Contact> peers;
    std::chrono::steady_clock::time_point until;
  };
  std::optional<PeerSet> small_network_;

  // Repair state (loop thread).
  bool running_ = false;
  std::uint64_t repair_timer_ = 0;           // 0 when none is scheduled
  std::shared_ptr<RepairRound> round_;       // the round in progress, if any
  std::optional<ChunkId> repair_cursor_;     // the next round starts after it
  std::mt19937_64 rng_;                      // repair jitter only

  // Callbacks hold a weak_ptr to this; once the Replicator is destroyed it
  // expires and they return without touching it.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace dfs::replicate
