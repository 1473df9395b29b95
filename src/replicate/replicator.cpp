// Replicator: construction, the chunk RPC wrappers, replicate() and the
// repair schedule. fetch() is in fetch.cpp, a repair round in repair.cpp.
#include <algorithm>
#include <random>
#include <string>

#include "dfs/util/log.hpp"
#include "replicator_internal.hpp"

namespace dfs::replicate {

using dht::Contact;
using dht::NodeId;

namespace {

// Brings every field into range, so that a bad option degrades to a
// working node (with a warning) instead of a broken one.
ReplicationConfig sanitize(ReplicationConfig c, std::size_t dht_k) {
  if (Status s = c.validate(); !s.ok()) log::warn(s.error().to_string() + "; using the nearest valid value");
  const ReplicationConfig defaults;
  c.replicas = std::clamp<std::size_t>(c.replicas, 1, std::max<std::size_t>(dht_k, 1));
  c.parallel_transfers = std::max<std::size_t>(c.parallel_transfers, 1);
  c.fetch_parallelism = std::max<std::size_t>(c.fetch_parallelism, 1);
  c.repair_chunks_per_round = std::max<std::size_t>(c.repair_chunks_per_round, 1);
  c.repair_copies_per_round = std::max<std::size_t>(c.repair_copies_per_round, 1);
  c.repair_lookups_in_flight = std::max<std::size_t>(c.repair_lookups_in_flight, 1);
  c.has_batch_size = std::clamp<std::size_t>(c.has_batch_size, 1, kMaxHasChunksBatch);
  auto positive = [](milliseconds& v, milliseconds fallback) {
    if (v.count() <= 0) v = fallback;
  };
  positive(c.transfer_timeout, defaults.transfer_timeout);
  positive(c.fetch_timeout, defaults.fetch_timeout);
  positive(c.repair_interval, defaults.repair_interval);
  c.fetch_hedge_delay = std::max(c.fetch_hedge_delay, milliseconds(0));
  c.small_network_ttl = std::max(c.small_network_ttl, milliseconds(0));
  if (!(c.repair_jitter >= 0.0 && c.repair_jitter < 1.0)) c.repair_jitter = defaults.repair_jitter;
  return c;
}

std::uint64_t seed_from(std::uint64_t configured) {
  return configured != 0 ? configured : (std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}();
}

std::uint64_t load(const std::atomic<std::uint64_t>& counter) { return counter.load(std::memory_order_relaxed); }

}  // namespace

// What replicate() carries from step to step (loop thread).
struct Replicator::ReplicateOp {
  ChunkId id;
  std::function<void(Result<ReplicaReport>)> done;
  std::shared_ptr<const Bytes> sealed;
  std::vector<Contact> spares;  // next closest peers, for refused copies
  std::size_t next_spare = 0;
  std::size_t in_flight = 0;  // PUTs not answered yet
  ReplicaReport report;
};

Replicator::Replicator(dht::Dht& dht, ChunkClient& client, store::ChunkStore& store, Scheduler& scheduler,
                       ReplicationConfig config, BlockingRunner* runner, store::ChunkStore* owned)
    : dht_(dht),
      client_(client),
      store_(store),
      owned_(owned),
      scheduler_(scheduler),
      config_(sanitize(config, dht.config().k)),
      runner_(runner),
      transfers_(std::make_unique<TransferQueue>(config_.parallel_transfers)),
      counters_(std::make_unique<Counters>()),
      rng_(seed_from(config.random_seed)) {}

Replicator::~Replicator() {
  alive_.reset();  // first: from here on every pending callback is a no-op
  if (repair_timer_ != 0) scheduler_.cancel(repair_timer_);
}

ReplicatorStats Replicator::stats() const {
  const Counters& c = *counters_;
  ReplicatorStats s;
  s.replicated = load(c.replicated);
  s.copies_pushed = load(c.copies_pushed);
  s.fetches = load(c.fetches);
  s.fetch_failures = load(c.fetch_failures);
  s.corrupt_responses = load(c.corrupt_responses);
  s.repair_rounds = load(c.repair_rounds);
  s.chunks_checked = load(c.chunks_checked);
  s.repair_lookups = load(c.repair_lookups);
  s.under_replicated = load(c.under_replicated);
  s.copies_made = load(c.copies_made);
  s.repair_failures = load(c.repair_failures);
  s.last_sweep_started = c.last_sweep_started.load(std::memory_order_relaxed);
  return s;
}

void Replicator::post(std::function<void()> fn) { scheduler_.schedule(milliseconds(0), guard(std::move(fn))); }

// --- Chunk RPCs ------------------------------------------------------------

void Replicator::push(const Contact& to, const ChunkId& id, std::shared_ptr<const Bytes> sealed, bool background,
                      std::function<void(Status)> done) {
  transfers_->submit(background, guard([this, to, id, sealed = std::move(sealed),
                                        done = std::move(done)](TransferQueue::Release release) {
    // Shared, not copied: the R pushes of one chunk send the same buffer.
    client_.put_chunk(to, id, sealed,
                      answer_within<Status>(scheduler_, config_.transfer_timeout,
                                            "PUT_CHUNK " + id.short_hex() + " to " + describe(to) + " timed out",
                                            guard([release, done](Status s) {
                                              release();
                                              done(std::move(s));
                                            })));
  }));
}

void Replicator::get(const Contact& to, const ChunkId& id, std::function<void(Result<Bytes>)> done) {
  transfers_->submit(false, guard([this, to, id, done = std::move(done)](TransferQueue::Release release) {
    client_.get_chunk(to, id,
                      answer_within<Result<Bytes>>(scheduler_, config_.transfer_timeout,
                                                   "GET_CHUNK " + id.short_hex() + " from " + describe(to) +
                                                       " timed out",
                                                   guard([release, done](Result<Bytes> r) {
                                                     release();
                                                     done(std::move(r));
                                                   })));
  }));
}

void Replicator::has(const Contact& to, std::vector<ChunkId> ids,
                     std::function<void(Result<std::vector<bool>>)> done) {
  const std::size_t asked = ids.size();
  transfers_->submit(true, guard([this, to, ids = std::move(ids), asked,
                                  done = std::move(done)](TransferQueue::Release release) {
    auto checked = [release, done, asked, to](Result<std::vector<bool>> r) {
      release();
      if (r.ok() && r->size() != asked) {
        r = make_error(Errc::corrupt, "HAS_CHUNKS answer from " + describe(to) + " has " +
                                          std::to_string(r->size()) + " entries for " + std::to_string(asked) +
                                          " chunks");
      }
      done(std::move(r));
    };
    client_.has_chunks(to, ids,
                       answer_within<Result<std::vector<bool>>>(
                           scheduler_, config_.transfer_timeout, "HAS_CHUNKS to " + describe(to) + " timed out",
                           guard(std::move(checked))));
  }));
}

// --- Closest peers -----------------------------------------------------------

void Replicator::closest_peers(const NodeId& key, std::function<void(std::vector<Contact>)> done) {
  if (small_network_ && scheduler_.now() < small_network_->until) {
    // Placement and fetch order the set by distance to `key` themselves.
    return post([peers = small_network_->peers, done = std::move(done)] { done(peers); });
  }
  dht_.find_closest(key, guard([this, done = std::move(done)](std::vector<Contact> found) {
    if (config_.small_network_ttl.count() > 0 && !found.empty() && found.size() < dht_.config().k) {
      small_network_ = PeerSet{found, scheduler_.now() + config_.small_network_ttl};
    } else {
      small_network_.reset();
    }
    done(std::move(found));
  }));
}

// --- replicate() -------------------------------------------------------------

void Replicator::replicate(const ChunkId& id, std::function<void(Result<ReplicaReport>)> done) {
  auto op = std::make_shared<ReplicateOp>();
  op->id = id;
  op->done = std::move(done);
  // The peers first: a lone peer has nobody to push to, and reading the
  // chunk back and hashing it would be all the work (an fsync of 1 GiB
  // read the whole file again for nothing).
  closest_peers(NodeId::from_chunk(id), guard([this, op](std::vector<Contact> found) {
                  op->spares = std::move(found);
                  if (op->spares.empty()) return place_and_push(op);
                  read_and_push(op);
                }));
}

void Replicator::read_and_push(const std::shared_ptr<ReplicateOp>& op) {
  run_blocking<Result<Bytes>>([local = LocalChunks{store_, owned_}, id = op->id] { return local.get(id); },
                              [this, op](Result<Bytes> sealed) {
                                if (!sealed.ok()) {
                                  bump(counters_->replicated);
                                  auto done = std::move(op->done);
                                  return done(sealed.take_error());
                                }
                                op->sealed = std::make_shared<const Bytes>(std::move(sealed).value());
                                place_and_push(op);
                              });
}

void Replicator::replicate_sealed(const ChunkId& id, std::shared_ptr<const Bytes> sealed,
                                  std::function<void(Result<ReplicaReport>)> done) {
  auto op = std::make_shared<ReplicateOp>();
  op->id = id;
  op->done = std::move(done);
  op->sealed = std::move(sealed);
  closest_peers(NodeId::from_chunk(op->id), guard([this, op](std::vector<Contact> found) {
                  op->spares = std::move(found);
                  place_and_push(op);
                }));
}

void Replicator::place_and_push(const std::shared_ptr<ReplicateOp>& op) {
  Placement placement = place(dht_.self(), NodeId::from_chunk(op->id), op->spares, config_.replicas);
  // At most R stand-ins, so a replicate() with every peer refusing still
  // ends after two rounds of transfers rather than one per peer found.
  placement.spares.resize(std::min(placement.spares.size(), config_.replicas));
  op->spares = std::move(placement.spares);
  op->report.wanted = config_.replicas;
  op->report.self_is_replica = placement.self_is_replica;
  op->report.confirmed = placement.self_is_replica ? 1 : 0;
  if (placement.peers.empty()) {
    bump(counters_->replicated);
    auto done = std::move(op->done);
    return done(std::move(op->report));
  }
  for (const Contact& peer : placement.peers) push_replica(op, peer);
}

void Replicator::push_replica(const std::shared_ptr<ReplicateOp>& op, const Contact& to) {
  ++op->in_flight;
  push(to, op->id, op->sealed, false, [this, op, to](Status status) {
    --op->in_flight;
    if (status.ok()) {
      ++op->report.confirmed;
      op->report.holders.push_back(to);
      bump(counters_->copies_pushed);
    } else {
      log::info("replicate: chunk " + op->id.short_hex() + " not stored by " + describe(to) + ": " +
                status.error().to_string());
      if (status.error().code == Errc::unavailable || status.error().code == Errc::timed_out) forget_peer_set();
      // The next closest peer takes the copy instead, so one full or
      // unreachable peer does not cost a replica.
      if (op->next_spare < op->spares.size()) push_replica(op, op->spares[op->next_spare++]);
    }
    if (op->in_flight == 0) {
      bump(counters_->replicated);
      auto done = std::move(op->done);
      done(std::move(op->report));
    }
  });
}

// --- Repair schedule ---------------------------------------------------------

std::chrono::milliseconds Replicator::jittered_interval() {
  const double j = config_.repair_jitter;
  const double factor = std::uniform_real_distribution<double>(1.0 - j, 1.0 + j)(rng_);
  return milliseconds(std::max<std::int64_t>(
      1, static_cast<std::int64_t>(static_cast<double>(config_.repair_interval.count()) * factor)));
}

void Replicator::start() {
  if (running_) return;
  running_ = true;
  if (round_ == nullptr) schedule_round();  // else the round in progress schedules the next
}

void Replicator::stop() {
  running_ = false;
  if (repair_timer_ != 0) scheduler_.cancel(repair_timer_);
  repair_timer_ = 0;
}

void Replicator::schedule_round() {
  repair_timer_ = scheduler_.schedule(jittered_interval(), guard([this] {
                                        repair_timer_ = 0;
                                        start_round(nullptr);
                                      }));
}

}  // namespace dfs::replicate
