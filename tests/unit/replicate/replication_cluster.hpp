// ReplicationCluster: N simulated peers, each with a Dht (from SimCluster),
// a MemoryChunkStore (served) and another for owned chunks (a node's cache/:
// repaired, not served), a ChunkServer, a sim ChunkClient and a Replicator,
// plus ground truth (who holds what, who is closest) and blocking helpers
// that run the event loop until an operation's callback fires, so tests
// read like synchronous code.
//
// With `offload`, every Replicator runs its blocking work on a real
// WorkerPool (SettlingRunner below), and the helpers let that work finish
// before virtual time moves on, so a run stays deterministic.
//
// Single-threaded apart from the offloaded work.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "dfs/replicate/chunk_server.hpp"
#include "dfs/replicate/replicator.hpp"
#include "dfs/store/memory_chunk_store.hpp"
#include "sim/sim_cluster.hpp"
#include "sim_chunk_network.hpp"

namespace dfs::sim {

// A BlockingRunner over a WorkerPool (through replicate::PoolRunner) whose
// continuations wait in an inbox until the test's loop takes them.
class SettlingRunner final : public replicate::BlockingRunner {
 public:
  SettlingRunner();
  ~SettlingRunner() override;
  void run(std::function<void()> work, std::function<void()> then) override;

  // Waits until no work is running, then schedules every continuation on
  // `loop` (on its next turn).
  void settle(EventLoop& loop);
  bool busy();
  // Jobs whose work ran on a pool thread rather than the caller's.
  std::size_t jobs_off_thread();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  // Guarded by mu_:
  std::vector<std::function<void()>> inbox_;
  std::size_t outstanding_ = 0;
  std::size_t off_thread_ = 0;
  const std::thread::id loop_thread_ = std::this_thread::get_id();
  // Destroyed first: joining the pool ends every job before the inbox goes.
  WorkerPool pool_{2};
  replicate::PoolRunner inner_;
};

// A LeaseRecorder that counts the leases granted per chunk (PUTs and
// HAS_CHUNKS renewals alike; who placed a chunk is not simulated, so a
// renewal by its placer counts too). Thread-safe.
class LeaseLog final : public replicate::LeaseRecorder {
 public:
  // Keeps the first lease key sent with a chunk, as the index does.
  void lease(const ChunkId& id, const dht::NodeId&, const replicate::PlacerKey& key) override {
    {
      std::lock_guard lock(mu_);
      if (key) keys_.emplace(id, *key);
    }
    renew(id);
  }
  void renew(const ChunkId& id) override {
    std::lock_guard lock(mu_);
    ++leases_[id];
  }
  void renew_placed_by(const std::vector<ChunkId>& ids, const dht::NodeId&, const replicate::PlacerKey&) override {
    for (const ChunkId& id : ids) renew(id);
  }
  void renew_keyed(const std::vector<ChunkId>&, const crypto::PublicKey&, std::int64_t) override {}
  std::size_t count(const ChunkId& id) {
    std::lock_guard lock(mu_);
    auto it = leases_.find(id);
    return it == leases_.end() ? 0 : it->second;
  }
  // The lease key recorded with `id` (replicate::PlacerKeyOf).
  replicate::PlacerKey key_of(const ChunkId& id) {
    std::lock_guard lock(mu_);
    auto it = keys_.find(id);
    return it == keys_.end() ? replicate::PlacerKey() : replicate::PlacerKey(it->second);
  }

 private:
  std::mutex mu_;
  std::unordered_map<ChunkId, std::size_t> leases_;  // guarded by mu_
  std::unordered_map<ChunkId, crypto::PublicKey> keys_;  // guarded by mu_
};

// Added to every test's seed: DFS_REPLICATE_SEED, to replay the tests on
// other random networks (0 when unset).
std::uint64_t seed_offset();

struct ReplicationClusterConfig {
  ClusterConfig cluster;
  ChunkNetworkConfig chunks;
  replicate::ReplicationConfig replication;
  bool offload = false;
};

class ReplicationCluster {
 public:
  explicit ReplicationCluster(ReplicationClusterConfig config);
  ~ReplicationCluster();

  // Adds `n` peers (each joins the DHT); false if a join failed.
  bool grow(std::size_t n);
  // Takes node `i` down: its Replicator and Dht go, its address stops
  // answering. Its store is kept, unreachable.
  void kill(std::size_t i);

  std::size_t size() const { return nodes_.size(); }
  bool alive(std::size_t i) const { return cluster_.alive(i); }
  replicate::Replicator& replicator(std::size_t i) { return *nodes_.at(i).replicator; }
  void reset_replicator(std::size_t i) { nodes_.at(i).replicator.reset(); }
  store::MemoryChunkStore& store(std::size_t i) { return *nodes_.at(i).store; }
  store::MemoryChunkStore& owned(std::size_t i) { return *nodes_.at(i).owned; }
  replicate::ChunkServer& server(std::size_t i) { return *nodes_.at(i).server; }
  LeaseLog& leases(std::size_t i) { return *nodes_.at(i).leases; }
  const dht::Contact& contact(std::size_t i) const { return cluster_.contact(i); }
  SimCluster& cluster() { return cluster_; }
  SimChunkNetwork& chunks() { return chunks_; }
  EventLoop& loop() { return cluster_.loop(); }
  SettlingRunner* runner() { return runner_.get(); }
  const replicate::ReplicationConfig& config() const { return config_.replication; }

  // A chunk of `size` random bytes, stored on node `at` only (in its owned
  // store if `owned`).
  ChunkId add_chunk(std::size_t at, std::size_t size = 4096, bool owned = false);

  // Makes node `i`'s files reference `id` without it holding the chunk
  // (its Replicator's ReferencedChunks: a recovered mount's tree).
  void reference(std::size_t i, const ChunkId& id);

  // Blocking helpers: nullopt if the callback did not fire within the
  // cluster's operation_deadline of virtual time.
  std::optional<Result<replicate::ReplicaReport>> replicate(std::size_t from, const ChunkId& id);
  std::optional<Result<Bytes>> fetch(std::size_t from, const ChunkId& id);
  std::optional<std::vector<replicate::ChunkLocation>> locate(std::size_t from, std::vector<ChunkId> ids);
  // One repair round on node `i`; false if it did not end in time.
  bool repair_now(std::size_t i);

  // Runs the loop (and offloaded work) until `pred` holds or `deadline`.
  bool run_until(const std::function<bool()>& pred, TimePoint deadline);
  void run_for(milliseconds d);

  // Ground truth. Node indices, sorted, holding `id` (live ones only, if asked).
  std::vector<std::size_t> holders(const ChunkId& id, bool live_only);
  // Indices of the `n` nodes closest to `id`, sorted by index.
  std::vector<std::size_t> closest(const ChunkId& id, std::size_t n, bool live_only) const;
  // Whether each of the R closest live nodes holds `id`.
  bool fully_placed(const ChunkId& id);

  void start_repair_all();

 private:
  // What a node's files reference beyond its stores; read from the
  // Replicator's blocking work (another thread with `offload`).
  struct Referenced {
    std::mutex mu;
    std::vector<ChunkId> ids;  // guarded by mu
  };
  struct Node {
    std::unique_ptr<store::MemoryChunkStore> store;
    std::shared_ptr<Referenced> referenced = std::make_shared<Referenced>();
    std::unique_ptr<store::MemoryChunkStore> owned;
    std::unique_ptr<LeaseLog> leases;
    std::unique_ptr<replicate::ChunkServer> server;
    replicate::ChunkClient* client = nullptr;  // owned by chunks_
    std::unique_ptr<replicate::Replicator> replicator;
  };

  std::size_t index_of(const dht::NodeId& id) const;
  template <typename T>
  std::optional<T> wait_for(std::optional<T>& slot);

  ReplicationClusterConfig config_;
  SimCluster cluster_;
  SimChunkNetwork chunks_;
  std::unique_ptr<SettlingRunner> runner_;  // null without offload
  std::vector<Node> nodes_;
};

}  // namespace dfs::sim
