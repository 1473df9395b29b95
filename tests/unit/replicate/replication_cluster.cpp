#include "replication_cluster.hpp"

#include <algorithm>
#include <cstdlib>
#include <string>

namespace dfs::sim {

using dht::NodeId;

std::uint64_t seed_offset() {
  const char* text = std::getenv("DFS_REPLICATE_SEED");
  return text == nullptr || *text == '\0' ? 0 : std::stoull(text);
}

// --- SettlingRunner ------------------------------------------------------------

SettlingRunner::SettlingRunner()
    : inner_(pool_, [this](std::function<void()> fn) {
        std::lock_guard lock(mu_);
        inbox_.push_back(std::move(fn));
        --outstanding_;
        cv_.notify_all();
      }) {}

SettlingRunner::~SettlingRunner() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return outstanding_ == 0; });
}

void SettlingRunner::run(std::function<void()> work, std::function<void()> then) {
  {
    std::lock_guard lock(mu_);
    ++outstanding_;
  }
  inner_.run(
      [this, work = std::move(work)] {
        if (std::this_thread::get_id() != loop_thread_) {
          std::lock_guard lock(mu_);
          ++off_thread_;
        }
        work();
      },
      std::move(then));
}

void SettlingRunner::settle(EventLoop& loop) {
  std::vector<std::function<void()>> ready;
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return outstanding_ == 0; });
    ready.swap(inbox_);
  }
  for (auto& fn : ready) loop.schedule(milliseconds(0), std::move(fn));
}

bool SettlingRunner::busy() {
  std::lock_guard lock(mu_);
  return outstanding_ > 0 || !inbox_.empty();
}

std::size_t SettlingRunner::jobs_off_thread() {
  std::lock_guard lock(mu_);
  return off_thread_;
}

// --- ReplicationCluster --------------------------------------------------------

ReplicationCluster::ReplicationCluster(ReplicationClusterConfig config)
    : config_(config),
      cluster_(config.cluster),
      chunks_(cluster_.loop(), cluster_.network(), config.chunks),
      runner_(config.offload ? std::make_unique<SettlingRunner>() : nullptr) {}

ReplicationCluster::~ReplicationCluster() {
  // Replicators go before the Dhts (SimCluster) they use; offloaded work
  // ends before the stores it reads.
  for (Node& node : nodes_) node.replicator.reset();
  if (runner_) runner_->settle(loop());
}

bool ReplicationCluster::grow(std::size_t n) {
  const std::size_t first = nodes_.size();
  const bool joined = cluster_.grow(n);
  for (std::size_t i = first; i < cluster_.size(); ++i) {
    Node node;
    node.store = std::make_unique<store::MemoryChunkStore>();
    node.owned = std::make_unique<store::MemoryChunkStore>();
    node.leases = std::make_unique<LeaseLog>();
    node.server = std::make_unique<replicate::ChunkServer>(*node.store, nullptr, node.leases.get());
    node.client = &chunks_.attach(cluster_.contact(i), *node.server);
    replicate::ReplicationConfig rc = config_.replication;
    rc.random_seed = config_.cluster.seed * 7919 + i + 1;
    auto referenced = [list = node.referenced]() -> Result<std::vector<ChunkId>> {
      std::lock_guard lock(list->mu);
      return list->ids;
    };
    // Read from the Replicator's blocking work, as a node reads its index.
    auto placer_key_of = [leases = node.leases.get()](const ChunkId& id) -> Result<replicate::PlacerKey> {
      return leases->key_of(id);
    };
    node.replicator = std::make_unique<replicate::Replicator>(cluster_.dht(i), *node.client, *node.store,
                                                              cluster_.loop(), rc, runner_.get(), node.owned.get(),
                                                              std::move(referenced), std::move(placer_key_of));
    nodes_.push_back(std::move(node));
  }
  return joined;
}

void ReplicationCluster::kill(std::size_t i) {
  nodes_.at(i).replicator.reset();
  cluster_.kill(i);
}

ChunkId ReplicationCluster::add_chunk(std::size_t at, std::size_t size, bool owned) {
  Bytes bytes(size);
  for (auto& b : bytes) b = static_cast<std::uint8_t>(cluster_.rng()());
  const ChunkId id = ChunkId::of(bytes);
  Status stored = (owned ? this->owned(at) : store(at)).put(id, bytes);
  (void)stored;  // a fresh random chunk in an unlimited memory store
  return id;
}

void ReplicationCluster::reference(std::size_t i, const ChunkId& id) {
  Referenced& list = *nodes_.at(i).referenced;
  std::lock_guard lock(list.mu);
  list.ids.push_back(id);
}

bool ReplicationCluster::run_until(const std::function<bool()>& pred, TimePoint deadline) {
  if (!runner_) return loop().run_until(pred, deadline);
  for (;;) {
    runner_->settle(loop());
    if (pred()) return true;
    bool stopped_for_work = false;
    const bool done = loop().run_until(
        [&] {
          if (pred()) return true;
          stopped_for_work = runner_->busy();
          return stopped_for_work;
        },
        deadline);
    if (!stopped_for_work) return done;
  }
}

void ReplicationCluster::run_for(milliseconds d) {
  const TimePoint end = loop().now() + d;
  run_until([] { return false; }, end);
}

template <typename T>
std::optional<T> ReplicationCluster::wait_for(std::optional<T>& slot) {
  run_until([&slot] { return slot.has_value(); }, loop().now() + config_.cluster.operation_deadline);
  return std::move(slot);
}

std::optional<Result<replicate::ReplicaReport>> ReplicationCluster::replicate(std::size_t from, const ChunkId& id) {
  std::optional<Result<replicate::ReplicaReport>> report;
  replicator(from).replicate(id, [&report](Result<replicate::ReplicaReport> r) { report = std::move(r); });
  return wait_for(report);
}

std::optional<Result<Bytes>> ReplicationCluster::fetch(std::size_t from, const ChunkId& id) {
  std::optional<Result<Bytes>> bytes;
  replicator(from).fetch(id, [&bytes](Result<Bytes> r) { bytes = std::move(r); });
  return wait_for(bytes);
}

std::optional<std::vector<replicate::ChunkLocation>> ReplicationCluster::locate(std::size_t from,
                                                                                std::vector<ChunkId> ids) {
  std::optional<std::vector<replicate::ChunkLocation>> found;
  replicator(from).locate(std::move(ids), [&found](std::vector<replicate::ChunkLocation> f) { found = std::move(f); });
  return wait_for(found);
}

bool ReplicationCluster::repair_now(std::size_t i) {
  std::optional<bool> done;
  replicator(i).repair_now([&done] { done = true; });
  return wait_for(done).has_value();
}

std::vector<std::size_t> ReplicationCluster::holders(const ChunkId& id, bool live_only) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (live_only && !alive(i)) continue;
    Result<bool> held = store(i).contains(id);
    if (held.ok() && *held) out.push_back(i);
  }
  return out;
}

std::size_t ReplicationCluster::index_of(const NodeId& id) const {
  for (std::size_t i = 0; i < cluster_.size(); ++i) {
    if (cluster_.contact(i).id == id) return i;
  }
  return cluster_.size();
}

std::vector<std::size_t> ReplicationCluster::closest(const ChunkId& id, std::size_t n, bool live_only) const {
  std::vector<std::size_t> out;
  for (const NodeId& node : cluster_.true_closest(NodeId::from_chunk(id), n, live_only)) out.push_back(index_of(node));
  std::sort(out.begin(), out.end());
  return out;
}

bool ReplicationCluster::fully_placed(const ChunkId& id) {
  for (std::size_t i : closest(id, config_.replication.replicas, true)) {
    Result<bool> held = store(i).contains(id);
    if (!held.ok() || !*held) return false;
  }
  return true;
}

void ReplicationCluster::start_repair_all() {
  for (Node& node : nodes_) {
    if (node.replicator) node.replicator->start();
  }
}

}  // namespace dfs::sim
