// Repairer: the repair loop (DESIGN.md §4, Repair; Leases and GC). Every
// repair_interval (jittered) a round takes a bounded batch of the chunks
// this peer has (LocalChunks: the store it serves and the owned chunks it
// keeps for its own files) and those its files reference without it
// holding them (ReferencedChunks), finds their R closest live peers, asks each in
// HAS_CHUNKS batches which it holds — which also renews their leases there
// — and pushes the missing copies of those it has. A dead replica does not answer the
// lookups, so the next closest peer takes its place and gets the copy.
//
// A HAS answer is a claim, not a proof (issue 10): of the chunks a peer
// claims in one answer, config.challenges_per_check are challenged
// (PROVE_CHUNK, storage_proof.hpp) and checked against this peer's copy.
// A peer that does not prove one of them — a wrong proof, "not found" for
// a chunk it just claimed, no answer — is distrusted (distrusted.hpp): the
// claims of that answer are dropped and those chunks are placed again
// without it, so the next closest peers get the copies.
//
// What the rounds found is kept in a RepairHealth (repair_health.hpp):
// the chunks short of copies now, for `dfs status`.
//
// Threading and lifetime: loop thread only, but health() may be read from
// any thread. It may be destroyed with a
// round in progress: the round's callbacks then do nothing and its waiters
// are never called. Everything it takes by reference must outlive it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <unordered_map>
#include <vector>

#include "dfs/dht/dht.hpp"
#include "dfs/replicate/config.hpp"
#include "dfs/replicate/distrusted.hpp"
#include "dfs/replicate/lifeline.hpp"
#include "dfs/replicate/local_chunks.hpp"
#include "dfs/replicate/repair_health.hpp"
#include "dfs/replicate/stats.hpp"
#include "dfs/replicate/transfers.hpp"

namespace dfs::replicate {

class Repairer {
 public:
  // Uses config's replicas, repair_* fields, has_batch_size and
  // random_seed (already in range, see Replicator). Counts into `counters`
  // (the repair_* ones, copies_made, copies_pushed). `runner` (may be null)
  // lists and reads the local stores.
  // `distrusted` (shared with the other parts) gets the peers that fail a
  // challenge, and placement skips the peers it holds. `referenced` (may
  // be empty): chunks checked too although not held here; their holders
  // are asked (renewing the leases), never sent a copy nor challenged
  // (there is nothing here to copy or to check a proof against).
  Repairer(dht::Dht& dht, Transfers& transfers, LocalChunks local, Scheduler& scheduler, BlockingRunner* runner,
           const ReplicationConfig& config, Counters& counters, Distrusted& distrusted,
           ReferencedChunks referenced = {});
  ~Repairer();
  Repairer(const Repairer&) = delete;
  Repairer& operator=(const Repairer&) = delete;

  // Runs a round every repair_interval, the first after a jittered
  // interval. stop() cancels the next round; a round in progress still
  // finishes.
  void start();
  void stop();
  bool running() const { return running_; }

  // Runs one round now (if none is in progress) and calls `done` when it
  // ends, on a later turn of the loop. For tests and an operator's "repair
  // now".
  void repair_now(std::function<void()> done);

  // The chunks short of copies now, as the rounds last found them; from
  // any thread.
  HealthSnapshot health() const { return health_->snapshot(scheduler_.now()); }

 private:
  class Round;

  void schedule_round();
  // Starts a round, or adds `done` (may be null) to the one in progress.
  void start_round(std::function<void()> done);
  void round_finished(std::optional<ChunkId> cursor, std::vector<std::function<void()>> waiters);
  std::chrono::milliseconds jittered_interval();

  dht::Dht& dht_;
  Transfers& transfers_;
  const LocalChunks local_;
  const ReferencedChunks referenced_;
  Scheduler& scheduler_;
  const ReplicationConfig config_;
  Counters& counters_;
  Distrusted& distrusted_;
  // Locks itself; shared with the rounds' blocking jobs, which may outlive
  // the Repairer.
  const std::shared_ptr<RepairHealth> health_ = std::make_shared<RepairHealth>();

  bool running_ = false;
  std::uint64_t timer_ = 0;               // 0 when no round is scheduled
  std::shared_ptr<Round> round_;          // the round in progress, if any
  std::optional<ChunkId> cursor_;         // the next round starts after it
  std::int64_t sweep_started_ = 0;        // Unix seconds the current sweep began
  std::int64_t round_started_ = 0;        // Unix seconds the current round began
  std::mt19937_64 rng_;                   // jitter, and which claims to challenge
  // Chunks a round left to a closer holder to copy (Round::decide), and
  // since when; a round that finds one still missing a copy deferral()
  // later pushes it itself.
  std::unordered_map<ChunkId, std::chrono::steady_clock::time_point> deferred_;
  // How long a holder waits for a closer one to copy: a round, and never
  // less than the time views of the network take to agree after a
  // partition heals (DhtConfig::lost_contact_retry_interval and a lookup).
  std::chrono::milliseconds deferral() const {
    return std::max<std::chrono::milliseconds>(config_.repair_interval, std::chrono::seconds(30));
  }
  // Whether a challenge `peer` left unanswered (timed out, unreachable) in
  // this round counts as failed: a peer cut off between its HAS answer and
  // our challenge is no liar, so its first round of silence is forgiven;
  // silence again in a later round, with no proof in between (a peer that
  // answers HAS but dodges every challenge), is not.
  bool silence_fails(const dht::NodeId& peer);
  std::uint64_t rounds_started_ = 0;
  std::unordered_map<dht::NodeId, std::uint64_t> silent_since_;  // round of the forgiven silence
  static constexpr std::size_t kMaxSilent = 1024;
  Lifeline life_;
};

}  // namespace dfs::replicate
