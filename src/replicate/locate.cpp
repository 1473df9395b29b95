// Locator: the chunks a wave at a time. Each chunk of a wave is placed on
// its R closest live peers (a bounded number of lookups in flight), then
// every peer is asked about all of the wave's chunks it should hold in
// HAS_CHUNKS batches, and this node's store about those it should.
#include "dfs/replicate/locator.hpp"

#include <algorithm>
#include <unordered_map>

namespace dfs::replicate {

using dht::Contact;
using dht::NodeId;

namespace {
// Chunks per wave: what one round of HAS_CHUNKS batches covers.
constexpr std::size_t kWave = 1024;
// Lookups in flight within a wave (in a network smaller than k,
// ClosestPeers answers most of them from its peer set at once).
constexpr std::size_t kLookupsInFlight = 16;
}  // namespace

// One locate() (loop thread).
struct Locator::Op {
  struct PeerBatch {
    Contact peer;
    std::vector<std::size_t> chunks;  // indices into `found`
  };

  std::vector<ChunkLocation> found;  // in the order asked
  std::size_t wave_end = 0;          // the wave in progress ends before it
  std::size_t next = 0;              // the next chunk of the wave to look up
  std::size_t lookups = 0;           // lookups in flight
  std::vector<std::size_t> ours;     // the wave's chunks this node is a replica of
  std::unordered_map<NodeId, PeerBatch> batches;
  std::size_t answers = 0;           // HAS batches and store checks not answered yet
  std::function<void(std::vector<ChunkLocation>)> done;
};

Locator::Locator(dht::Dht& dht, ClosestPeers& peers, Transfers& transfers, LocalChunks local, Scheduler& scheduler,
                 BlockingRunner* runner, std::size_t replicas, std::size_t batch)
    : dht_(dht),
      peers_(peers),
      transfers_(transfers),
      local_(local),
      replicas_(std::max<std::size_t>(replicas, 1)),
      batch_(std::max<std::size_t>(batch, 1)),
      life_(scheduler, runner) {}

void Locator::locate(std::vector<ChunkId> ids, std::function<void(std::vector<ChunkLocation>)> done) {
  auto op = std::make_shared<Op>();
  op->found.resize(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) op->found[i].id = ids[i];
  op->done = std::move(done);
  life_.post([this, op] { start_wave(op); });
}

void Locator::start_wave(const std::shared_ptr<Op>& op) {
  if (op->next == op->found.size()) return std::exchange(op->done, {})(std::move(op->found));
  op->wave_end = std::min(op->found.size(), op->next + kWave);
  look_up_more(op);
}

void Locator::look_up_more(const std::shared_ptr<Op>& op) {
  while (op->lookups < kLookupsInFlight && op->next < op->wave_end) {
    const std::size_t at = op->next++;
    ++op->lookups;
    const NodeId key = NodeId::from_chunk(op->found[at].id);
    peers_.find(key, life_.guard([this, op, at, key](std::vector<Contact> found) {
      --op->lookups;
      placed(*op, at, place(dht_.self(), key, found, replicas_));
      look_up_more(op);
    }));
  }
  if (op->lookups == 0 && op->next == op->wave_end) ask(op);
}

void Locator::placed(Op& op, std::size_t at, const Placement& placement) {
  op.found[at].self_is_replica = placement.self_is_replica;
  if (placement.self_is_replica) op.ours.push_back(at);
  for (const Contact& peer : placement.peers) {
    Op::PeerBatch& batch = op.batches[peer.id];
    batch.peer = peer;
    batch.chunks.push_back(at);
  }
}

void Locator::ask(const std::shared_ptr<Op>& op) {
  if (!op->ours.empty()) {
    ++op->answers;
    std::vector<ChunkId> ids;
    for (std::size_t at : op->ours) ids.push_back(op->found[at].id);
    life_.run_blocking<std::vector<bool>>(
        [local = local_, ids = std::move(ids)] {
          std::vector<bool> held;
          for (const ChunkId& id : ids) {
            auto has = local.store.contains(id);
            held.push_back(has.ok() && *has);
          }
          return held;
        },
        [this, op, ours = std::exchange(op->ours, {})](std::vector<bool> held) {
          for (std::size_t i = 0; i < ours.size(); ++i) op->found[ours[i]].self_holds = held[i];
          answered(op);
        });
  }
  for (auto& [node, batch] : std::exchange(op->batches, {})) {
    for (std::size_t from = 0; from < batch.chunks.size(); from += batch_) {
      std::vector<std::size_t> part(batch.chunks.begin() + static_cast<std::ptrdiff_t>(from),
                                    batch.chunks.begin() + static_cast<std::ptrdiff_t>(std::min(batch.chunks.size(), from + batch_)));
      std::vector<ChunkId> ids;
      for (std::size_t at : part) ids.push_back(op->found[at].id);
      ++op->answers;
      transfers_.has(batch.peer, std::move(ids),
                     life_.guard([this, op, peer = batch.peer, part = std::move(part)](Result<std::vector<bool>> held) {
                       record(*op, peer, part, held);
                       answered(op);
                     }));
    }
  }
  if (op->answers == 0) life_.post([this, op] { start_wave(op); });
}

void Locator::record(Op& op, const Contact& peer, const std::vector<std::size_t>& chunks,
                     const Result<std::vector<bool>>& held) {
  if (!held.ok()) peers_.forget();  // the next wave's lookups leave a dead peer out
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    ChunkLocation& l = op.found[chunks[i]];
    if (!held.ok()) {
      l.unreachable.push_back(peer);
    } else if ((*held)[i]) {
      l.holders.push_back(peer);
    } else {
      l.lacking.push_back(peer);
    }
  }
}

void Locator::answered(const std::shared_ptr<Op>& op) {
  if (--op->answers == 0) start_wave(op);
}

}  // namespace dfs::replicate
