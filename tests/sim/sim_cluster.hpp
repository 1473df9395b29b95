// SimCluster: N Dht nodes on a SimNetwork, with churn and ground truth.
//
// Nodes get deterministic IDs and addresses ("sim:<index>") from the seed.
// grow() joins nodes one after another, each through a random live node
// already in the cluster, as peers arriving over time would. kill() takes a
// node's process down (its Dht is destroyed, its address stops answering);
// revive() brings it back with a fresh Dht that joins again. The blocking
// helpers (lookup, put, get) run the event loop until the operation's
// callback fires, so tests read like synchronous code.
//
// Single-threaded, like everything on an EventLoop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "dfs/dht/dht.hpp"
#include "sim/event_loop.hpp"
#include "sim/sim_network.hpp"

namespace dfs::sim {

struct ClusterConfig {
  NetworkConfig network;
  dht::DhtConfig dht;
  std::uint64_t seed = 1;
  // Virtual time an operation may take before a blocking helper gives up.
  milliseconds operation_deadline{std::chrono::minutes(10)};
};

struct LookupOutcome {
  std::vector<dht::Contact> closest;
  dht::LookupStats stats;
};

class SimCluster {
 public:
  explicit SimCluster(ClusterConfig config);
  ~SimCluster();

  // Adds `n` nodes; each joins through a random live node already present
  // (the first one alone). Returns false if a join failed.
  bool grow(std::size_t n);
  // Adds `n` nodes that all join through node 0 at the same moment (as
  // peers started together with one --bootstrap do). Returns false if a
  // join failed.
  bool grow_together(std::size_t n);

  void kill(std::size_t node);
  // Restarts a killed node with an empty Dht and joins it again.
  bool revive(std::size_t node);
  // Kills `count` random live nodes; returns their indices.
  std::vector<std::size_t> kill_random(std::size_t count);

  std::size_t size() const { return nodes_.size(); }
  bool alive(std::size_t node) const { return nodes_.at(node).dht != nullptr; }
  dht::Dht& dht(std::size_t node) { return *nodes_.at(node).dht; }
  const dht::Contact& contact(std::size_t node) const { return nodes_.at(node).contact; }
  std::size_t random_live_node();
  std::mt19937_64& rng() { return rng_; }
  EventLoop& loop() { return loop_; }
  SimNetwork& network() { return network_; }

  // Ground truth: the IDs of the `n` nodes closest to `target` among all
  // nodes, or among live ones only; closest first.
  std::vector<dht::NodeId> true_closest(const dht::NodeId& target, std::size_t n, bool live_only) const;

  // Blocking helpers: run the loop until the callback fires (nullopt if it
  // did not within ClusterConfig::operation_deadline of virtual time).
  // `settle`: as for Dht::find_closest (0: strict).
  std::optional<LookupOutcome> lookup(std::size_t from, const dht::NodeId& target, std::size_t settle = 0);
  std::optional<Result<std::size_t>> put(std::size_t from, dht::Record record);
  std::optional<Result<std::vector<dht::Record>>> get(std::size_t from, const dht::NodeId& key);

  // Calls start() / stop() on every live node (periodic maintenance).
  void start_all();
  void stop_all();

 private:
  struct Node {
    dht::Contact contact;
    dht::Transport* transport = nullptr;  // owned by network_
    std::unique_ptr<dht::Dht> dht;        // null while killed
  };

  void boot(std::size_t node);
  bool join(std::size_t node);
  std::size_t attach_node();  // a new booted node, not joined yet
  template <typename T>
  std::optional<T> wait_for(std::optional<T>& slot);

  ClusterConfig config_;
  std::mt19937_64 rng_;
  EventLoop loop_;
  SimNetwork network_;
  std::vector<Node> nodes_;
  // Dht instances created so far; gives each its own RNG seed.
  std::uint64_t boots_ = 0;
};

}  // namespace dfs::sim
