#include "sim/sim_cluster.hpp"

#include <algorithm>
#include <cassert>

namespace dfs::sim {

using dht::Contact;
using dht::NodeId;

SimCluster::SimCluster(ClusterConfig config)
    : config_(config), rng_(config.seed), network_(loop_, [&] {
        NetworkConfig n = config.network;
        n.seed = config.seed * 0x9e3779b97f4a7c15ULL + 1;  // its own stream
        return n;
      }()) {}

SimCluster::~SimCluster() {
  // Dht objects go first: their destructors cancel timers on the loop.
  for (Node& node : nodes_) node.dht.reset();
}

void SimCluster::boot(std::size_t index) {
  Node& node = nodes_[index];
  dht::DhtConfig config = config_.dht;
  config.random_seed = config_.seed + 1000003 * ++boots_;
  node.dht = std::make_unique<dht::Dht>(node.contact, *node.transport, loop_, config);
  network_.revive(node.contact.address);
}

bool SimCluster::join(std::size_t index) {
  std::vector<std::size_t> live;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (i != index && alive(i)) live.push_back(i);
  }
  if (live.empty()) return true;  // the first node is a network by itself
  const std::size_t seed = live[std::uniform_int_distribution<std::size_t>(0, live.size() - 1)(rng_)];
  // Bootstrap by address only, as a user's --bootstrap HOST:PORT would.
  std::optional<Status> joined;
  nodes_[index].dht->bootstrap({Contact{NodeId{}, nodes_[seed].contact.address}},
                               [&joined](Status s) { joined = std::move(s); });
  auto result = wait_for(joined);
  return result && result->ok();
}

std::size_t SimCluster::attach_node() {
  const std::size_t index = nodes_.size();
  Contact contact{NodeId::random(rng_), "sim:" + std::to_string(index)};
  // The handler looks the Dht up at delivery time: a killed node has none.
  auto handler = [this, index](const Contact& from, const dht::Request& request) {
    return nodes_[index].dht->handle(from, request);
  };
  dht::Transport& transport = network_.attach(contact, handler);
  nodes_.push_back(Node{contact, &transport, nullptr});
  boot(index);
  return index;
}

bool SimCluster::grow(std::size_t n) {
  bool ok = true;
  for (std::size_t i = 0; i < n; ++i) ok = join(attach_node()) && ok;
  return ok;
}

bool SimCluster::grow_together(std::size_t n) {
  assert(!nodes_.empty() && alive(0));
  auto joined = std::make_shared<std::size_t>(0);
  auto failed = std::make_shared<bool>(false);
  for (std::size_t i = 0; i < n; ++i) {
    nodes_[attach_node()].dht->bootstrap({Contact{NodeId{}, nodes_[0].contact.address}},
                                         [joined, failed](Status s) {
                                           ++*joined;
                                           if (!s.ok()) *failed = true;
                                         });
  }
  loop_.run_until([&] { return *joined == n; }, loop_.now() + config_.operation_deadline);
  return *joined == n && !*failed;
}

void SimCluster::kill(std::size_t index) {
  network_.kill(nodes_.at(index).contact.address);
  nodes_.at(index).dht.reset();
}

bool SimCluster::revive(std::size_t index) {
  assert(!alive(index));
  boot(index);
  return join(index);
}

std::vector<std::size_t> SimCluster::kill_random(std::size_t count) {
  std::vector<std::size_t> live;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (alive(i)) live.push_back(i);
  }
  std::shuffle(live.begin(), live.end(), rng_);
  live.resize(std::min(count, live.size()));
  for (std::size_t i : live) kill(i);
  return live;
}

std::size_t SimCluster::random_live_node() {
  for (;;) {
    const std::size_t i = std::uniform_int_distribution<std::size_t>(0, nodes_.size() - 1)(rng_);
    if (alive(i)) return i;
  }
}

std::vector<NodeId> SimCluster::true_closest(const NodeId& target, std::size_t n, bool live_only) const {
  std::vector<NodeId> ids;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (!live_only || alive(i)) ids.push_back(nodes_[i].contact.id);
  }
  const std::size_t take = std::min(n, ids.size());
  auto by_distance = [&target](const NodeId& a, const NodeId& b) { return dht::closer(target, a, b); };
  std::partial_sort(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(take), ids.end(), by_distance);
  ids.resize(take);
  return ids;
}

template <typename T>
std::optional<T> SimCluster::wait_for(std::optional<T>& slot) {
  loop_.run_until([&slot] { return slot.has_value(); }, loop_.now() + config_.operation_deadline);
  return std::move(slot);
}

std::optional<LookupOutcome> SimCluster::lookup(std::size_t from, const NodeId& target, std::size_t settle) {
  std::optional<LookupOutcome> outcome;
  dht::Dht& node = dht(from);
  node.find_closest(
      target,
      [&outcome, &node](std::vector<Contact> closest) { outcome = LookupOutcome{std::move(closest), node.last_lookup()}; },
      settle);
  return wait_for(outcome);
}

std::optional<Result<std::size_t>> SimCluster::put(std::size_t from, dht::Record record) {
  std::optional<Result<std::size_t>> stored;
  dht(from).put_record(std::move(record), [&stored](Result<std::size_t> r) { stored = std::move(r); });
  return wait_for(stored);
}

std::optional<Result<std::vector<dht::Record>>> SimCluster::get(std::size_t from, const NodeId& key) {
  std::optional<Result<std::vector<dht::Record>>> records;
  dht(from).get_records(key, [&records](Result<std::vector<dht::Record>> r) { records = std::move(r); });
  return wait_for(records);
}

void SimCluster::start_all() {
  for (Node& node : nodes_) {
    if (node.dht) node.dht->start();
  }
}

void SimCluster::stop_all() {
  for (Node& node : nodes_) {
    if (node.dht) node.dht->stop();
  }
}

}  // namespace dfs::sim
