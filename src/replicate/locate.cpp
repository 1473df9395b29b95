// Locator: a window of chunks at a time, each placed on its R closest
// live peers and asked about on each of them.
#include "dfs/replicate/locator.hpp"

#include <algorithm>

namespace dfs::replicate {

using dht::Contact;
using dht::NodeId;

namespace {
// Chunks whose lookups and checks run at once.
constexpr std::size_t kLocateWindow = 32;
}  // namespace

// One locate() (loop thread).
struct Locator::Op {
  std::vector<ChunkLocation> found;  // in the order asked
  std::vector<std::size_t> waiting;  // per chunk: answers still expected
  std::size_t next = 0;              // the next chunk to start
  std::size_t open = 0;              // chunks started, not finished
  std::function<void(std::vector<ChunkLocation>)> done;
};

Locator::Locator(dht::Dht& dht, ClosestPeers& peers, Transfers& transfers, LocalChunks local, Scheduler& scheduler,
                 BlockingRunner* runner, std::size_t replicas)
    : dht_(dht),
      peers_(peers),
      transfers_(transfers),
      local_(local),
      replicas_(std::max<std::size_t>(replicas, 1)),
      life_(scheduler, runner) {}

void Locator::locate(std::vector<ChunkId> ids, std::function<void(std::vector<ChunkLocation>)> done) {
  auto op = std::make_shared<Op>();
  op->found.resize(ids.size());
  op->waiting.resize(ids.size(), 0);
  for (std::size_t i = 0; i < ids.size(); ++i) op->found[i].id = ids[i];
  op->done = std::move(done);
  life_.post([this, op] { start_more(op); });
}

void Locator::start_more(const std::shared_ptr<Op>& op) {
  while (op->open < kLocateWindow && op->next < op->found.size()) {
    const std::size_t at = op->next++;
    ++op->open;
    const NodeId key = NodeId::from_chunk(op->found[at].id);
    peers_.find(key, life_.guard([this, op, at, key](std::vector<Contact> found) {
      ask(op, at, place(dht_.self(), key, found, replicas_));
    }));
  }
  if (op->open == 0 && op->next == op->found.size() && op->done) std::exchange(op->done, {})(std::move(op->found));
}

void Locator::ask(const std::shared_ptr<Op>& op, std::size_t at, const Placement& placement) {
  ChunkLocation& location = op->found[at];
  location.self_is_replica = placement.self_is_replica;
  // One answer from each peer, and one from our store; none at all (no
  // peer, not a replica) still finishes the chunk on a later turn.
  op->waiting[at] = std::max<std::size_t>(placement.peers.size() + (placement.self_is_replica ? 1 : 0), 1);
  if (placement.peers.empty() && !placement.self_is_replica) return life_.post([this, op, at] { answered(op, at); });
  const ChunkId id = location.id;
  if (placement.self_is_replica) {
    life_.run_blocking<Result<bool>>([local = local_, id] { return local.store.contains(id); },
                                     [this, op, at](Result<bool> held) {
                                       op->found[at].self_holds = held.ok() && *held;
                                       answered(op, at);
                                     });
  }
  for (const Contact& peer : placement.peers) {
    transfers_.has(peer, {id}, life_.guard([this, op, at, peer](Result<std::vector<bool>> held) {
      ChunkLocation& l = op->found[at];
      if (!held.ok()) {
        peers_.forget();  // the next chunks' lookups leave a dead peer out
        l.unreachable.push_back(peer);
      } else if (held->front()) {
        l.holders.push_back(peer);
      } else {
        l.lacking.push_back(peer);
      }
      answered(op, at);
    }));
  }
}

void Locator::answered(const std::shared_ptr<Op>& op, std::size_t at) {
  if (--op->waiting[at] > 0) return;
  --op->open;
  start_more(op);
}

}  // namespace dfs::replicate
