// Placer: replicate() and replicate_sealed().
#include "dfs/replicate/placer.hpp"

#include <algorithm>

#include "describe.hpp"
#include "dfs/replicate/placement.hpp"
#include "dfs/util/log.hpp"

namespace dfs::replicate {

using dht::Contact;
using dht::NodeId;

// What one placement carries from step to step (loop thread).
struct Placer::Op {
  ChunkId id;
  std::function<void(Result<ReplicaReport>)> done;
  std::shared_ptr<const Bytes> sealed;
  std::vector<Contact> spares;  // next closest peers, for refused copies
  std::size_t next_spare = 0;
  std::size_t in_flight = 0;  // PUTs not answered yet
  ReplicaReport report;
};

Placer::Placer(dht::Dht& dht, ClosestPeers& peers, Transfers& transfers, LocalChunks local, Scheduler& scheduler,
               BlockingRunner* runner, std::size_t replicas, Counters& counters)
    : dht_(dht),
      peers_(peers),
      transfers_(transfers),
      local_(local),
      replicas_(std::max<std::size_t>(replicas, 1)),
      counters_(counters),
      life_(scheduler, runner) {}

void Placer::replicate(const ChunkId& id, std::function<void(Result<ReplicaReport>)> done) {
  auto op = std::make_shared<Op>();
  op->id = id;
  op->done = std::move(done);
  // The peers first: a lone peer has nobody to push to, and reading the
  // chunk back and hashing it would be all the work (an fsync of 1 GiB
  // read the whole file again for nothing).
  peers_.find(NodeId::from_chunk(id), life_.guard([this, op](std::vector<Contact> found) {
    op->spares = std::move(found);
    if (op->spares.empty()) return place_and_push(op);
    read_and_push(op);
  }));
}

void Placer::replicate_sealed(const ChunkId& id, std::shared_ptr<const Bytes> sealed,
                              std::function<void(Result<ReplicaReport>)> done) {
  auto op = std::make_shared<Op>();
  op->id = id;
  op->done = std::move(done);
  op->sealed = std::move(sealed);
  peers_.find(NodeId::from_chunk(op->id), life_.guard([this, op](std::vector<Contact> found) {
    op->spares = std::move(found);
    place_and_push(op);
  }));
}

void Placer::read_and_push(const std::shared_ptr<Op>& op) {
  life_.run_blocking<Result<Bytes>>([local = local_, id = op->id] { return local.get(id); },
                                    [this, op](Result<Bytes> sealed) {
                                      if (!sealed.ok()) return finish(op, sealed.take_error());
                                      op->sealed = std::make_shared<const Bytes>(std::move(sealed).value());
                                      place_and_push(op);
                                    });
}

void Placer::place_and_push(const std::shared_ptr<Op>& op) {
  Placement placement = place(dht_.self(), NodeId::from_chunk(op->id), op->spares, replicas_);
  // At most R stand-ins, so a replicate() with every peer refusing still
  // ends after two rounds of transfers rather than one per peer found.
  placement.spares.resize(std::min(placement.spares.size(), replicas_));
  op->spares = std::move(placement.spares);
  op->report.wanted = replicas_;
  op->report.self_is_replica = placement.self_is_replica;
  op->report.confirmed = placement.self_is_replica ? 1 : 0;
  if (placement.peers.empty()) return finish(op, std::move(op->report));
  for (const Contact& peer : placement.peers) push_replica(op, peer);
}

namespace {

// A peer that answers "busy" takes PUTs at a bounded rate (issue 10's
// per-peer limits) and asks to be tried later: during a bulk copy the
// owner's own uploads outrun it. Giving its copy to a spare would leave
// the chunk off its R closest (and in a small network with no spare, short
// of copies), so the same peer is asked again after 50, 100, ... 1600 ms
// (about 3 s in all) before a spare takes the copy.
constexpr std::size_t kBusyRetries = 6;
constexpr std::chrono::milliseconds kFirstBusyWait{50};

}  // namespace

void Placer::push_replica(const std::shared_ptr<Op>& op, const Contact& to, std::size_t busy_answers) {
  ++op->in_flight;
  transfers_.put(to, op->id, op->sealed, false, life_.guard([this, op, to, busy_answers](Status status) {
    if (!status.ok() && status.error().code == Errc::busy && busy_answers < kBusyRetries) {
      // Still in flight: the op must not finish while the retry waits.
      return life_.after(kFirstBusyWait * (1 << busy_answers), [this, op, to, busy_answers] {
        --op->in_flight;
        push_replica(op, to, busy_answers + 1);
      });
    }
    --op->in_flight;
    if (status.ok()) {
      ++op->report.confirmed;
      op->report.holders.push_back(to);
      bump(counters_.copies_pushed);
    } else {
      log::info("replicate: chunk " + op->id.short_hex() + " not stored by " + describe(to) + ": " +
                status.error().to_string());
      if (status.error().code == Errc::unavailable || status.error().code == Errc::timed_out) peers_.forget();
      // The next closest peer takes the copy instead, so one full or
      // unreachable peer does not cost a replica.
      if (op->next_spare < op->spares.size()) push_replica(op, op->spares[op->next_spare++]);
    }
    if (op->in_flight == 0) finish(op, std::move(op->report));
  }));
}

void Placer::finish(const std::shared_ptr<Op>& op, Result<ReplicaReport> result) {
  bump(counters_.replicated);
  auto done = std::move(op->done);
  done(std::move(result));
}

}  // namespace dfs::replicate
