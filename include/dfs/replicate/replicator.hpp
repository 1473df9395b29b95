// Replicator: one peer's replication engine (DESIGN.md §4), assembled from
// parts with one job each, over one queue of chunk RPCs (Transfers) and
// one lookup cache (ClosestPeers):
//   - Placer: puts new chunks on the R peers closest to their IDs;
//   - Fetcher: gets a chunk back from those peers, verified, hedged;
//   - Repairer: the repair loop, which also renews the leases of the
//     chunks this peer has on their holders, and keeps what it found
//     (health());
//   - Locator: which of the R closest peers hold given chunks, on demand.
// The Replicator sanitizes the configuration once, owns the parts and the
// counters behind stats(), and forwards to them.
//
// It works over injected interfaces — the Dht (who is closest), a
// ChunkClient (chunk RPCs to peers), the local ChunkStore (and optionally
// the store of owned chunks, see the constructor), the Scheduler
// (loop and timers) and an optional BlockingRunner (disk and hashing off
// the loop) — so the same code runs on the simulator in tests and over TLS
// in a peer.
//
// Threading: every method, and every callback it takes, runs on the
// Scheduler's loop thread; nothing has locks. Callbacks are never called
// from inside the method that takes them. stats() and health() alone may be
// read from any thread (atomics, a locked RepairHealth), for `dfs status`.
//
// Lifetime: the Dht, ChunkClient, ChunkStores and Scheduler must outlive the
// Replicator. It may be destroyed (on the loop thread) with operations in
// flight: their callbacks then do nothing and unfinished `done` functions
// are never called.
#pragma once

#include <functional>
#include <memory>

#include "dfs/dht/dht.hpp"
#include "dfs/replicate/blocking_runner.hpp"
#include "dfs/replicate/chunk_client.hpp"
#include "dfs/replicate/closest_peers.hpp"
#include "dfs/replicate/config.hpp"
#include "dfs/replicate/distrusted.hpp"
#include "dfs/replicate/fetcher.hpp"
#include "dfs/replicate/locator.hpp"
#include "dfs/replicate/placer.hpp"
#include "dfs/replicate/repairer.hpp"
#include "dfs/replicate/stats.hpp"
#include "dfs/replicate/transfers.hpp"
#include "dfs/store/chunk_store.hpp"

namespace dfs::replicate {

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
  // `referenced` (may be empty): the chunks this peer's files reference
  // without it holding them (a recovered mount's tree, issue 15); repair
  // asks their holders about them too, which renews their leases.
  // `lease_keys` (may be empty): the lease keys recorded here with the
  // chunks others put, which repair's copies carry (issue 15).
  Replicator(dht::Dht& dht, ChunkClient& client, store::ChunkStore& store, Scheduler& scheduler,
             ReplicationConfig config = {}, BlockingRunner* runner = nullptr, store::ChunkStore* owned = nullptr,
             ReferencedChunks referenced = {}, PlacerKeyOf lease_keys = {});
  ~Replicator();
  Replicator(const Replicator&) = delete;
  Replicator& operator=(const Replicator&) = delete;

  // Placer::replicate and Placer::replicate_sealed (placer.hpp).
  void replicate(const ChunkId& id, std::function<void(Result<ReplicaReport>)> done) {
    placer_.replicate(id, std::move(done));
  }
  void replicate_sealed(const ChunkId& id, std::shared_ptr<const Bytes> sealed,
                        std::function<void(Result<ReplicaReport>)> done) {
    placer_.replicate_sealed(id, std::move(sealed), std::move(done));
  }

  // Fetcher::fetch (fetcher.hpp).
  void fetch(const ChunkId& id, std::function<void(Result<Bytes>)> done) { fetcher_.fetch(id, std::move(done)); }

  // The Repairer's loop (repairer.hpp).
  void start() { repairer_.start(); }
  void stop() { repairer_.stop(); }
  bool running() const { return repairer_.running(); }
  void repair_now(std::function<void()> done) { repairer_.repair_now(std::move(done)); }

  // Locator::locate (locator.hpp).
  void locate(std::vector<ChunkId> ids, std::function<void(std::vector<ChunkLocation>)> done) {
    locator_.locate(std::move(ids), std::move(done));
  }

  const ReplicationConfig& config() const { return config_; }
  ReplicatorStats stats() const { return counters_.snapshot(); }
  // Repairer::health (repairer.hpp): from any thread.
  HealthSnapshot health() const { return repairer_.health(); }

 private:
  const ReplicationConfig config_;
  Counters counters_;
  Distrusted distrusted_;  // peers caught lying by the Repairer, skipped by all parts
  // Declared in dependency order: the parts go first (reverse order), and
  // each cuts its own callbacks as it goes.
  Transfers transfers_;
  ClosestPeers peers_;
  Placer placer_;
  Fetcher fetcher_;
  Repairer repairer_;
  Locator locator_;
};

}  // namespace dfs::replicate
