// Repairer: its schedule, and a round — the chunks of a batch in ID order,
// placed with one DHT lookup per neighbourhood, not per chunk (see
// Neighbourhood), checked on their holders in HAS_CHUNKS batches, and the
// missing copies pushed.
#include "dfs/replicate/repairer.hpp"

#include <algorithm>
#include <deque>
#include <iterator>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "dfs/util/clock.hpp"
#include "dfs/util/log.hpp"
#include "describe.hpp"
#include "dfs/replicate/placement.hpp"
#include "dfs/replicate/storage_proof.hpp"

namespace dfs::replicate {

using dht::Contact;
using dht::NodeId;

namespace {

// How many neighbourhoods a round remembers. Chunks are walked in ID
// order, so only the latest few can cover the next chunk.
constexpr std::size_t kNeighbourhoodsKept = 8;

// Chunks a Repairer remembers having deferred to a closer holder; past
// it, a holder copies rather than defer.
constexpr std::size_t kMaxDeferred = 8192;

// Up to `limit` chunks of `all` after `cursor`, in ID order; from the
// start of the ID space when none is left after it (the walk wraps).
std::vector<ChunkId> next_batch(std::vector<ChunkId> all, const std::optional<ChunkId>& cursor, std::size_t limit) {
  if (cursor) {
    std::vector<ChunkId> after;
    for (const ChunkId& id : all) {
      if (id > *cursor) after.push_back(id);
    }
    if (!after.empty()) all = std::move(after);
  }
  const std::size_t take = std::min(limit, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(take), all.end());
  all.resize(take);
  return all;
}

}  // namespace

// One round. Owned by Repairer::round_ and by its pending callbacks;
// every method runs on the loop thread, every callback through the
// Repairer's lifeline.
class Repairer::Round : public std::enable_shared_from_this<Round> {
 public:
  Round(Repairer& r, std::optional<ChunkId> cursor) : r_(r), cursor_(std::move(cursor)) {}

  void add_waiter(std::function<void()> done) {
    if (done) waiters_.push_back(std::move(done));
  }

  void begin() {
    auto self = shared_from_this();
    const std::size_t limit = r_.config_.repair_chunks_per_round;
    r_.life_.run_blocking<Result<Batch>>(
        [local = r_.local_, referenced = r_.referenced_, cursor = cursor_, limit,
         health = r_.health_]() -> Result<Batch> {
          DFS_ASSIGN_OR_RETURN(std::vector<ChunkId> held, local.list());  // sorted
          std::vector<ChunkId> all = held;
          if (referenced) {
            DFS_ASSIGN_OR_RETURN(std::vector<ChunkId> more, referenced());
            all.insert(all.end(), more.begin(), more.end());
            std::sort(all.begin(), all.end());
            all.erase(std::unique(all.begin(), all.end()), all.end());
          }
          health->retain(all);  // (sorted) a chunk no longer ours is nobody's worry here
          Batch batch{next_batch(std::move(all), cursor, limit), {}};
          for (const ChunkId& id : batch.ids) {
            if (!std::binary_search(held.begin(), held.end(), id)) batch.not_held.insert(id);
          }
          return batch;
        },
        [self](Result<Batch> batch) { self->listed(std::move(batch)); });
  }

 private:
  struct Batch {
    std::vector<ChunkId> ids;               // sorted
    std::unordered_set<ChunkId> not_held;   // of ids, only referenced (ReferencedChunks)
  };

  struct PeerBatch {
    Contact peer;
    std::vector<ChunkId> ids;  // chunks it should hold, not asked about yet
  };

  void listed(Result<Batch> batch) {
    if (!batch.ok()) {
      log::warn("repair: cannot list the local chunks: " + batch.error().to_string());
      return finish();
    }
    batch_ = std::move(batch->ids);
    not_held_ = std::move(batch->not_held);
    unplaced_.assign(batch_.begin(), batch_.end());
    resolve();
  }

  // Places chunks in ID order while the known neighbourhoods cover them,
  // and starts lookups for those they do not, up to the in-flight limit.
  void resolve() {
    const std::size_t replicas = r_.config_.replicas;
    while (!unplaced_.empty()) {
      const ChunkId id = unplaced_.front();
      const NodeId key = NodeId::from_chunk(id);
      if (const Neighbourhood* n = covering(key)) {
        unplaced_.pop_front();
        place_chunk(id, n->place(key, replicas, &r_.distrusted_));
        continue;
      }
      if (may_be_covered_soon(key) || lookups_.size() >= r_.config_.repair_lookups_in_flight) break;
      unplaced_.pop_front();
      look_up(id);
    }
    if (unplaced_.empty() && lookups_.empty()) {
      for (auto& [id, batch] : pending_) send_checks(batch);
      pending_.clear();
      maybe_finish();
    }
  }

  const Neighbourhood* covering(const NodeId& key) const {
    for (const Neighbourhood& n : known_) {
      if (n.covers(key, r_.config_.replicas)) return &n;
    }
    return nullptr;
  }

  // Whether a lookup in flight will probably cover `key`: its target
  // shares as many leading bits with it as the last neighbourhood spanned.
  // Then waiting costs less than a second lookup of the same place.
  bool may_be_covered_soon(const NodeId& key) const {
    return std::any_of(lookups_.begin(), lookups_.end(), [&](const NodeId& target) {
      return dht::common_prefix_length(target, key) >= expected_prefix_;
    });
  }

  void look_up(const ChunkId& id) {
    const NodeId key = NodeId::from_chunk(id);
    lookups_.push_back(key);
    bump(r_.counters_.repair_lookups);
    r_.dht_.find_closest(key, r_.life_.guard([self = shared_from_this(), id, key](std::vector<Contact> found) {
      self->looked_up(id, key, std::move(found));
    }));
  }

  void looked_up(const ChunkId& id, const NodeId& key, std::vector<Contact> found) {
    std::erase(lookups_, key);
    const Contact& me = r_.dht_.self();
    Neighbourhood n(me, key, found, r_.dht_.config().k, r_.dht_.table().size());
    expected_prefix_ = n.prefix_bits();
    place_chunk(id, place(me, key, r_.distrusted_.without(found), r_.config_.replicas));
    if (known_.size() == kNeighbourhoodsKept) known_.pop_front();
    known_.push_back(std::move(n));
    resolve();
  }

  // Queues `id` for a HAS check on each of its placed peers; a peer's
  // batch goes out as soon as it is full.
  void place_chunk(const ChunkId& id, const Placement& placement) {
    bump(r_.counters_.chunks_checked);
    const std::size_t placed = placement.peers.size() + (placement.self_is_replica ? 1 : 0);
    if (placed < r_.config_.replicas) {
      short_.insert(id);
      missing_[id] += static_cast<std::uint32_t>(r_.config_.replicas - placed);  // too few live peers
    }
    if (placement.self_is_replica && r_.local_.owned != nullptr && !not_held_.contains(id)) serve_if_only_owned(id);
    const NodeId key = NodeId::from_chunk(id);
    ChunkCheck& check = checks_[id];
    check = ChunkCheck{};  // placed again (a distrusted peer left): start over
    check.self_is_replica = placement.self_is_replica;
    for (const Contact& spare : placement.spares) {
      if (check.closer_spares.size() < kMaxSparesAsked && dht::closer(key, spare.id, r_.dht_.self().id)) {
        check.closer_spares.push_back(spare);
      }
    }
    for (const Contact& peer : placement.peers) check.waiting.push_back(peer.id);
    if (check.waiting.empty()) checks_.erase(id);
    for (const Contact& peer : placement.peers) {
      PeerBatch& batch = pending_[peer.id];
      batch.peer = peer;
      batch.ids.push_back(id);
      if (batch.ids.size() >= r_.config_.has_batch_size) send_checks(batch);
    }
  }

  // We are one of the R closest peers of `id` (after churn, say), so the
  // placement counts us as one of its copies; but a chunk only in the owned
  // store (a node's cache/) is not served. Moving it into the store makes
  // that copy real.
  void serve_if_only_owned(const ChunkId& id) {
    ++outstanding_;
    r_.life_.run_blocking<Status>([local = r_.local_, id] { return local.serve(id); },
                            [self = shared_from_this(), id](Status moved) {
                              --self->outstanding_;
                              if (!moved.ok()) {
                                bump(self->r_.counters_.repair_failures);
                                log::warn("repair: cannot serve chunk " + id.short_hex() +
                                          " from the store: " + moved.error().to_string());
                              }
                              self->maybe_finish();
                            });
  }

  void send_checks(PeerBatch& batch) {
    if (batch.ids.empty()) return;
    ++outstanding_;
    std::vector<ChunkId> ids = std::exchange(batch.ids, {});
    r_.transfers_.has(batch.peer, ids,
                      r_.life_.guard([self = shared_from_this(), peer = batch.peer, ids](Result<std::vector<bool>> held) {
                        self->checked(peer, ids, std::move(held));
                      }));
  }

  void checked(const Contact& peer, const std::vector<ChunkId>& ids, Result<std::vector<bool>> held) {
    --outstanding_;
    if (!held.ok()) {
      // Most likely the peer died since the lookup; the next round's
      // lookups leave it out and its successor gets the copies.
      bump(r_.counters_.repair_failures);
      log::info("repair: HAS_CHUNKS to " + describe(peer) + " failed: " + held.error().to_string());
      for (const ChunkId& id : ids) ++missing_[id];  // a copy nobody vouches for
      for (const ChunkId& id : ids) answer(id, peer, std::nullopt);
      return maybe_finish();
    }
    // Caught lying meanwhile (by another batch): nothing it says counts.
    if (r_.distrusted_.contains(peer.id)) return replace(ids);
    std::vector<ChunkId> claimed;  // those a proof can be checked of, against our copy
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if ((*held)[i] && !not_held_.contains(ids[i])) claimed.push_back(ids[i]);
      answer(ids[i], peer, (*held)[i]);
    }
    challenge(peer, std::move(claimed));
    maybe_finish();
  }

  // --- Who copies (after a partition heals, say) -----------------------
  //
  // Every holder of a chunk runs repair, so each would push the same
  // missing copy. Only one does: the holder closest to the chunk among
  // those it learnt of — the R closest that answered "held", and this
  // peer if it is one of them. A holder that is not one of the R closest
  // (a spare that took a copy while they were cut off, the writer's
  // cache) defers to any of them that holds it; when none does, it asks
  // the spares closer to the chunk than itself, and copies only if none
  // of those holds it either. A chunk deferred once is copied by whoever
  // finds it still missing Repairer::deferral() later (the closest holder
  // may not see the missing peer yet), so deferring never stalls repair.

  // What the placed peers said of one chunk, until all have answered.
  struct ChunkCheck {
    std::vector<NodeId> waiting;         // asked, not answered yet
    std::vector<Contact> missing;        // R closest that said "not held"
    std::size_t holders = 0;             // R closest (or, second, spares) that said "held"
    std::vector<Contact> closer_spares;  // found peers past the R closest, closer than us
    bool self_is_replica = false;
    bool asking_spares = false;
    bool closer_holder = false;          // a holder closer to the chunk than us answered
  };
  static constexpr std::size_t kMaxSparesAsked = 8;

  void answer(const ChunkId& id, const Contact& peer, std::optional<bool> held) {
    auto it = checks_.find(id);
    if (it == checks_.end()) return;
    ChunkCheck& check = it->second;
    auto asked = std::find(check.waiting.begin(), check.waiting.end(), peer.id);
    if (asked == check.waiting.end()) return;  // an answer to an earlier placement
    check.waiting.erase(asked);
    if (held == true) {
      ++check.holders;
      if (dht::closer(NodeId::from_chunk(id), peer.id, r_.dht_.self().id)) check.closer_holder = true;
    } else if (held == false && !check.asking_spares) {
      check.missing.push_back(peer);
    }
    if (check.waiting.empty()) decide(it);
  }

  void decide(std::unordered_map<ChunkId, ChunkCheck>::iterator it) {
    const ChunkId id = it->first;
    ChunkCheck& check = it->second;
    if (check.missing.empty()) {
      r_.deferred_.erase(id);
      return void(checks_.erase(it));
    }
    short_.insert(id);
    if (!check.self_is_replica && check.holders == 0 && !check.asking_spares && !check.closer_spares.empty()) {
      check.asking_spares = true;
      for (const Contact& spare : check.closer_spares) {
        check.waiting.push_back(spare.id);
        PeerBatch one{spare, {id}};
        send_checks(one);
      }
      return;
    }
    // A replica defers to a closer holder; any other holder to every one.
    const bool defer = check.self_is_replica ? check.closer_holder : check.holders > 0;
    const std::vector<Contact> missing = std::move(check.missing);
    checks_.erase(it);
    if (not_held_.contains(id)) {
      // Nothing here to copy from: its holders' own repair copies it.
      missing_[id] += static_cast<std::uint32_t>(missing.size());
      return;
    }
    if (defer && (r_.deferred_.size() < kMaxDeferred || r_.deferred_.contains(id))) {
      const auto now = r_.scheduler_.now();
      const auto [at, first] = r_.deferred_.try_emplace(id, now);
      if (first) bump(r_.counters_.repair_deferred);
      if (now - at->second < r_.deferral()) {
        missing_[id] += static_cast<std::uint32_t>(missing.size());  // still lacking, for RepairHealth
        return;
      }
    }
    r_.deferred_.erase(id);
    for (const Contact& peer : missing) copy(id, peer);
  }

  // --- Storage challenges ------------------------------------------------

  // The claims of one HAS answer, while some of them are being proven.
  struct Claims {
    Contact peer;
    std::vector<ChunkId> ids;
    bool dropped = false;  // a challenge failed: they no longer count
  };

  void challenge(const Contact& peer, std::vector<ChunkId> claimed) {
    const std::size_t n = std::min(r_.config_.challenges_per_check, claimed.size());
    if (n == 0) return;
    auto claims = std::make_shared<Claims>(Claims{peer, std::move(claimed), false});
    std::vector<ChunkId> sample;
    std::sample(claims->ids.begin(), claims->ids.end(), std::back_inserter(sample), n, r_.rng_);
    for (const ChunkId& id : sample) {
      ++outstanding_;
      bump(r_.counters_.challenges);
      const ProofNonce nonce = fresh_proof_nonce();
      r_.transfers_.prove(peer, id, nonce,
                          r_.life_.guard([self = shared_from_this(), claims, id, nonce](Result<crypto::Digest> proof) {
                            self->answered(claims, id, nonce, std::move(proof));
                          }));
    }
  }

  // The challenged peer's answer, checked against our copy off the loop.
  void answered(const std::shared_ptr<Claims>& claims, const ChunkId& id, const ProofNonce& nonce,
                Result<crypto::Digest> proof) {
    if (!proof.ok()) {
      const Errc code = proof.error().code;
      const bool silent = code == Errc::timed_out || code == Errc::unavailable;
      if (silent && !r_.silence_fails(claims->peer.id)) return unanswered(claims, id, proof.error().to_string());
      return failed(claims, id, proof.error().to_string());
    }
    r_.life_.run_blocking<Result<crypto::Digest>>(
        [local = r_.local_, id, nonce]() -> Result<crypto::Digest> {
          DFS_ASSIGN_OR_RETURN(Bytes sealed, local.get(id));
          return storage_proof(nonce, sealed);
        },
        [self = shared_from_this(), claims, id, proof = *proof](Result<crypto::Digest> expected) {
          // Without our own copy (GC took it meanwhile) there is nothing to check.
          if (!expected.ok() || *expected == proof) {
            self->r_.silent_since_.erase(claims->peer.id);
            --self->outstanding_;
            return self->maybe_finish();
          }
          self->failed(claims, id, "wrong proof");
        });
  }

  // Whatever the reason — a wrong proof, "not found" for a chunk it just
  // claimed, no answer, "busy" (the limit of a holder is far above what
  // repair asks) — a claim that is not proven is not believed.
  void failed(const std::shared_ptr<Claims>& claims, const ChunkId& id, const std::string& why) {
    --outstanding_;
    bump(r_.counters_.challenges_failed);
    if (!std::exchange(claims->dropped, true)) {
      r_.distrusted_.add(claims->peer.id);
      r_.counters_.distrusted.store(r_.distrusted_.size(), std::memory_order_relaxed);
      log::warn("repair: " + describe(claims->peer) + " claimed chunk " + id.short_hex() +
                " but did not prove it holds it (" + why +
                "); distrusted: its claims no longer count and its chunks go to other peers");
      replace(claims->ids);
    }
    maybe_finish();
  }

  // A challenge lost to a cut link: the claims stand this round, and the
  // next round challenges the peer again.
  void unanswered(const std::shared_ptr<Claims>& claims, const ChunkId& id, const std::string& why) {
    --outstanding_;
    log::info("repair: " + describe(claims->peer) + " did not answer the challenge for chunk " + id.short_hex() +
              " (" + why + "); not distrusted unless it is silent again in a later round");
    maybe_finish();
  }

  // Places `ids` again (without the peers distrusted by now) and checks
  // them on their holders.
  void replace(const std::vector<ChunkId>& ids) {
    unplaced_.insert(unplaced_.end(), ids.begin(), ids.end());
    resolve();
  }

  void copy(const ChunkId& id, const Contact& peer) {
    short_.insert(id);
    ++missing_[id];
    if (copies_ >= r_.config_.repair_copies_per_round) {
      // Over budget: the next round resumes from the first chunk skipped.
      if (!first_skipped_ || id < *first_skipped_) first_skipped_ = id;
      return;
    }
    ++copies_;
    ++outstanding_;
    r_.transfers_.put_from(r_.local_, peer, id, r_.life_.guard([self = shared_from_this(), id, peer](Status status) {
      self->copied(id, peer, std::move(status));
    }));
  }

  void copied(const ChunkId& id, const Contact& peer, Status status) {
    --outstanding_;
    if (status.ok()) {
      bump(r_.counters_.copies_made);
      bump(r_.counters_.copies_pushed);
      log::info("repair: copied chunk " + id.short_hex() + " to " + describe(peer));
      --missing_[id];
      r_.health_->copied(r_.scheduler_.now());
    } else {
      bump(r_.counters_.repair_failures);
      log::info("repair: copy of chunk " + id.short_hex() + " to " + describe(peer) +
                " failed: " + status.error().to_string());
    }
    maybe_finish();
  }

  void maybe_finish() {
    if (unplaced_.empty() && lookups_.empty() && pending_.empty() && outstanding_ == 0) finish();
  }

  void finish() {
    if (std::exchange(finished_, true)) return;
    bump(r_.counters_.under_replicated, short_.size());
    bump(r_.counters_.repair_rounds);
    const auto now = r_.scheduler_.now();
    for (const ChunkId& id : batch_) {
      auto it = missing_.find(id);
      r_.health_->checked(id, it == missing_.end() ? 0 : it->second, now);
    }
    r_.health_->round_finished();
    r_.round_finished(next_cursor(), std::move(waiters_));
  }

  // Where the next round starts: after this batch, or, when the copy
  // budget ran out, just before the first chunk left unhealed.
  std::optional<ChunkId> next_cursor() const {
    if (batch_.empty()) return std::nullopt;
    if (!first_skipped_) return batch_.back();
    auto it = std::lower_bound(batch_.begin(), batch_.end(), *first_skipped_);
    if (it == batch_.begin()) return cursor_;
    return *std::prev(it);
  }

  Repairer& r_;
  const std::optional<ChunkId> cursor_;    // this round's batch starts after it
  std::vector<std::function<void()>> waiters_;
  std::vector<ChunkId> batch_;             // this round's chunks, sorted
  std::unordered_set<ChunkId> not_held_;   // of batch_, referenced but not held here
  std::deque<ChunkId> unplaced_;           // batch_ not yet placed, in order
  std::deque<Neighbourhood> known_;        // what this round's lookups proved
  std::vector<NodeId> lookups_;            // targets of lookups in flight
  std::size_t expected_prefix_ = 0;        // 0 until a lookup ends: wait for it
  std::unordered_map<NodeId, PeerBatch> pending_;  // HAS batches being filled
  std::unordered_set<ChunkId> short_;      // chunks found with fewer than R copies
  // Copies each chunk still lacks: placements short of R, holders without
  // it or that did not answer, less the copies made (RepairHealth).
  std::unordered_map<ChunkId, std::uint32_t> missing_;
  std::unordered_map<ChunkId, ChunkCheck> checks_;  // chunks whose holders are still answering
  std::size_t outstanding_ = 0;            // HAS and PUT RPCs not answered yet
  std::size_t copies_ = 0;
  std::optional<ChunkId> first_skipped_;
  bool finished_ = false;
};

// --- The schedule -------------------------------------------------------------

namespace {

std::uint64_t seed_from(std::uint64_t configured) {
  return configured != 0 ? configured : (std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}();
}

}  // namespace

Repairer::Repairer(dht::Dht& dht, Transfers& transfers, LocalChunks local, Scheduler& scheduler,
                   BlockingRunner* runner, const ReplicationConfig& config, Counters& counters,
                   Distrusted& distrusted, ReferencedChunks referenced)
    : dht_(dht),
      transfers_(transfers),
      local_(local),
      referenced_(std::move(referenced)),
      scheduler_(scheduler),
      config_(config),
      counters_(counters),
      distrusted_(distrusted),
      rng_(seed_from(config.random_seed)),
      life_(scheduler, runner) {}

Repairer::~Repairer() {
  life_.cut();  // first: from here on every pending callback is a no-op
  if (timer_ != 0) scheduler_.cancel(timer_);
}

std::chrono::milliseconds Repairer::jittered_interval() {
  const double j = config_.repair_jitter;
  const double factor = std::uniform_real_distribution<double>(1.0 - j, 1.0 + j)(rng_);
  return milliseconds(std::max<std::int64_t>(
      1, static_cast<std::int64_t>(static_cast<double>(config_.repair_interval.count()) * factor)));
}

void Repairer::start() {
  if (running_) return;
  running_ = true;
  if (round_ == nullptr) schedule_round();  // else the round in progress schedules the next
}

void Repairer::stop() {
  running_ = false;
  if (timer_ != 0) scheduler_.cancel(timer_);
  timer_ = 0;
}

void Repairer::schedule_round() {
  timer_ = scheduler_.schedule(jittered_interval(), life_.guard([this] {
                                 timer_ = 0;
                                 start_round(nullptr);
                               }));
}

void Repairer::start_round(std::function<void()> done) {
  if (round_ != nullptr) return round_->add_waiter(std::move(done));
  round_started_ = unix_seconds();
  ++rounds_started_;
  round_ = std::make_shared<Round>(*this, cursor_);
  round_->add_waiter(std::move(done));
  round_->begin();
}

void Repairer::round_finished(std::optional<ChunkId> cursor, std::vector<std::function<void()>> waiters) {
  // The walk over the chunks in ID order wraps when a round ends at or
  // before where the last one did: that round began a new sweep, so the
  // sweep before it, over every chunk, is complete.
  const bool wrapped = !cursor_ || !cursor || *cursor <= *cursor_;
  if (wrapped) {
    if (sweep_started_ != 0) counters_.last_sweep_started.store(sweep_started_, std::memory_order_relaxed);
    sweep_started_ = round_started_;
  }
  cursor_ = std::move(cursor);
  round_.reset();  // the round's callbacks still hold it while they run
  if (running_ && timer_ == 0) schedule_round();
  for (auto& waiter : waiters) waiter();
}

void Repairer::repair_now(std::function<void()> done) {
  life_.post([this, done = std::move(done)]() mutable { start_round(std::move(done)); });
}

bool Repairer::silence_fails(const dht::NodeId& peer) {
  if (silent_since_.size() >= kMaxSilent && !silent_since_.contains(peer)) silent_since_.clear();
  const auto [at, first] = silent_since_.try_emplace(peer, rounds_started_);
  return !first && at->second != rounds_started_;
}

}  // namespace dfs::replicate
