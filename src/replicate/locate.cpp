// locate(): which peers hold each chunk of a list (`dfs where`, `dfs
// check`). For each chunk, the R closest live peers as a lookup finds
// them (the small-network peer set spares the lookups in a network
// smaller than k), then a HAS_CHUNKS to each; this node counts when it is
// one of the R and its served store holds the chunk. A bounded number of
// chunks is in progress at once, so a file of 100,000 chunks costs no
// more memory or sockets than one of 100.
#include <algorithm>

#include "replicator_internal.hpp"

namespace dfs::replicate {

using dht::Contact;
using dht::NodeId;

namespace {
// Chunks whose lookups and checks run at once.
constexpr std::size_t kLocateWindow = 32;
}  // namespace

struct Replicator::LocateOp {
  std::vector<ChunkLocation> found;  // in the order asked
  std::size_t next = 0;              // the next chunk to start
  std::size_t open = 0;              // chunks started, not finished
  std::function<void(std::vector<ChunkLocation>)> done;
};

void Replicator::locate(std::vector<ChunkId> ids, std::function<void(std::vector<ChunkLocation>)> done) {
  auto op = std::make_shared<LocateOp>();
  op->found.resize(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) op->found[i].id = ids[i];
  op->done = std::move(done);
  post([this, op] { locate_more(op); });
}

void Replicator::locate_more(const std::shared_ptr<LocateOp>& op) {
  while (op->open < kLocateWindow && op->next < op->found.size()) {
    const std::size_t at = op->next++;
    ++op->open;
    const ChunkId id = op->found[at].id;
    closest_peers(NodeId::from_chunk(id), guard([this, op, at, id](std::vector<Contact> peers) {
                    const Placement placement = place(dht_.self(), NodeId::from_chunk(id), peers, config_.replicas);
                    locate_check(op, at, placement);
                  }));
  }
  if (op->open == 0 && op->next == op->found.size() && op->done) std::exchange(op->done, {})(std::move(op->found));
}

void Replicator::locate_check(const std::shared_ptr<LocateOp>& op, std::size_t at, const Placement& placement) {
  ChunkLocation& location = op->found[at];
  location.self_is_replica = placement.self_is_replica;
  // Answers still expected for this chunk: each peer's, and our store's.
  auto waiting = std::make_shared<std::size_t>(placement.peers.size() + (placement.self_is_replica ? 1 : 0));
  auto answered = [this, op, waiting] {
    if (--*waiting > 0) return;
    --op->open;
    locate_more(op);
  };
  if (*waiting == 0) {
    ++*waiting;
    return post(answered);
  }
  const ChunkId id = location.id;
  if (placement.self_is_replica) {
    run_blocking<Result<bool>>([store = &store_, id] { return store->contains(id); },
                               [op, at, answered](Result<bool> held) {
                                 op->found[at].self_holds = held.ok() && *held;
                                 answered();
                               });
  }
  for (const Contact& peer : placement.peers) {
    has(peer, {id}, [this, op, at, peer, answered](Result<std::vector<bool>> held) {
      ChunkLocation& l = op->found[at];
      if (!held.ok()) {
        forget_peer_set();  // the next chunks' lookups leave a dead peer out
        l.unreachable.push_back(peer);
      } else if (held->front()) {
        l.holders.push_back(peer);
      } else {
        l.lacking.push_back(peer);
      }
      answered();
    });
  }
}

}  // namespace dfs::replicate
