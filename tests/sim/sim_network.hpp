// SimNetwork: an in-process network of simulated peers, implementing
// dht::Transport for each of them over one EventLoop.
//
// Every message (request or reply) is delayed by a latency drawn uniformly
// from [min_latency, max_latency] and dropped with probability `loss`; the
// sender then sees Errc::timed_out after `timeout`, as over a real network.
// A killed node neither receives nor answers (its peers time out) until it
// is revived; a partition cuts a set of nodes off from the rest (messages
// across it are lost) until it heals. All randomness comes from one generator seeded by
// NetworkConfig::seed, so a run repeats exactly.
//
// Single-threaded: used on the EventLoop's thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "dfs/dht/transport.hpp"
#include "sim/event_loop.hpp"

namespace dfs::sim {

struct NetworkConfig {
  milliseconds min_latency{5};
  milliseconds max_latency{50};
  double loss = 0.0;          // per message, in [0, 1]
  milliseconds timeout{1000};  // the transport's RPC timeout
  std::uint64_t seed = 1;
};

struct NetworkStats {
  std::uint64_t requests = 0;  // send() calls
  std::uint64_t lost = 0;      // messages dropped by `loss`
  std::uint64_t to_dead = 0;   // requests that reached a killed node
  std::uint64_t cut = 0;       // messages lost across a partition
  std::uint64_t replies = 0;   // replies delivered
};

class SimNetwork {
 public:
  // Answers a request addressed to a node; `from` is the verified sender.
  using Handler = std::function<dht::Response(const dht::Contact& from, const dht::Request& request)>;

  SimNetwork(EventLoop& loop, NetworkConfig config);
  ~SimNetwork();
  SimNetwork(const SimNetwork&) = delete;
  SimNetwork& operator=(const SimNetwork&) = delete;

  // Registers a live node at `self.address` (unique) and returns the
  // transport it sends with, owned by the network. `handler` answers its
  // incoming requests (it may be replaced with set_handler).
  dht::Transport& attach(const dht::Contact& self, Handler handler);
  void set_handler(const std::string& address, Handler handler);

  void kill(const std::string& address);
  void revive(const std::string& address);
  bool alive(const std::string& address) const;

  // Messages between the nodes at `side` and every other node are lost
  // from now on (requests across time out); within each side they flow.
  void partition(const std::vector<std::string>& side);
  void heal();

  void set_loss(double loss) { config_.loss = loss; }
  const NetworkConfig& config() const { return config_; }
  const NetworkStats& stats() const { return stats_; }

 private:
  class NodeTransport;
  struct Node {
    dht::Contact contact;
    Handler handler;
    bool alive = true;
    std::unique_ptr<NodeTransport> transport;
    bool cut_off = false;  // on the `side` of the current partition
  };
  struct Call;

  void send(std::size_t from, const dht::Contact& to, dht::Request request,
            std::function<void(Result<dht::Reply>)> on_done);
  void deliver(std::size_t from, std::size_t to, const dht::Request& request, const std::shared_ptr<Call>& call);
  void fail_later(const std::shared_ptr<Call>& call, Errc code, std::string message);
  // Completes `call` with Errc::timed_out at its deadline.
  void time_out(const std::shared_ptr<Call>& call);
  milliseconds latency();
  bool lose();
  // Whether a message between the two is lost to the partition.
  bool across(std::size_t a, std::size_t b);

  EventLoop& loop_;
  NetworkConfig config_;
  std::mt19937_64 rng_;
  std::vector<Node> nodes_;
  std::unordered_map<std::string, std::size_t> by_address_;
  NetworkStats stats_;
};

}  // namespace dfs::sim
