// SimChunkNetwork: the chunk RPCs (PUT_CHUNK, GET_CHUNK, HAS_CHUNKS) between
// simulated nodes, implementing replicate::ChunkClient for each on the
// simulator's EventLoop.
//
// Requests and answers are each delayed by a latency drawn from
// [min_latency, max_latency]; a request to a node the SimNetwork says is
// dead (SimCluster::kill) is never answered and the asker sees
// Errc::timed_out after `timeout`, as over a real network. Faults for the
// tests: a node can be made to tamper with the chunks it serves (a lying
// peer), to refuse PUTs (a full disk), or to claim every chunk and store
// none (a liar: PUTs acknowledged and dropped, every HAS answered "held",
// every storage challenge answered with a made-up proof).
//
// Single-threaded: used on the EventLoop's thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "dfs/replicate/chunk_client.hpp"
#include "dfs/replicate/keyed_renewal.hpp"
#include "dfs/replicate/chunk_server.hpp"
#include "sim/event_loop.hpp"
#include "sim/sim_network.hpp"

namespace dfs::sim {

struct ChunkNetworkConfig {
  milliseconds min_latency{5};
  milliseconds max_latency{50};
  milliseconds timeout{1000};  // the client's RPC timeout
  std::uint64_t seed = 7;
};

struct ChunkNetworkStats {
  std::uint64_t puts = 0;
  std::uint64_t gets = 0;
  std::uint64_t has_requests = 0;
  std::uint64_t proves = 0;
  std::uint64_t has_ids = 0;        // chunk IDs asked about, over all HAS requests
  std::uint64_t max_has_batch = 0;  // the most IDs one HAS request carried
  std::uint64_t to_dead = 0;        // requests that reached a dead node
};

class SimChunkNetwork {
 public:
  // `liveness` says which addresses are up (SimCluster kills nodes there).
  SimChunkNetwork(EventLoop& loop, const SimNetwork& liveness, ChunkNetworkConfig config);
  ~SimChunkNetwork();
  SimChunkNetwork(const SimChunkNetwork&) = delete;
  SimChunkNetwork& operator=(const SimChunkNetwork&) = delete;

  // Serves the chunk RPCs addressed to `self` with `server` (which must
  // outlive the network) and returns the client `self` sends with.
  replicate::ChunkClient& attach(const dht::Contact& self, replicate::ChunkServer& server);

  // GET answers from `address` arrive with their first bit flipped.
  void set_tampering(const std::string& address, bool on);
  // PUTs to `address` are refused with Errc::no_space.
  void set_refusing_puts(const std::string& address, bool on);
  // The next `count` PUTs to `address` are answered Errc::busy (its rate
  // limits), as a peer does when puts outrun it.
  void answer_busy(const std::string& address, std::size_t count);
  // The lease key `address`'s client sends with a PUT that names none
  // (its own, as a node with a recovery key has); none by default.
  void set_lease_key(const std::string& address, const replicate::PlacerKey& key);
  // `address` claims everything and stores nothing.
  void set_lying(const std::string& address, bool on);
  // The next `count` storage challenges sent to `address` get no answer
  // (the asker times out), whatever else it answers.
  void drop_challenges(const std::string& address, std::size_t count);

  const ChunkNetworkStats& stats() const { return stats_; }
  // Counters of the requests `address` sent.
  const ChunkNetworkStats& sent_by(const std::string& address) { return sent_by_[address]; }
  // GET_CHUNK requests addressed to `address` (its `gets`; the rest 0).
  const ChunkNetworkStats& received_by(const std::string& address) { return received_by_[address]; }
  void reset_stats();

 private:
  class Client;
  struct Node {
    dht::Contact contact;
    replicate::ChunkServer* server;
  };

  // Delivers `serve` to `to` and its answer back to `from`, or times out.
  template <typename T>
  void call(const std::string& from, const dht::Contact& to, std::function<T(replicate::ChunkServer&)> serve,
            std::function<void(T)> done);
  milliseconds latency();

  void put(const std::string& from, const dht::Contact& to, const ChunkId& id, SharedBytes sealed,
           const replicate::PlacerKey& key, std::function<void(Status)> done);
  void get(const std::string& from, const dht::Contact& to, const ChunkId& id,
           std::function<void(Result<Bytes>)> done);
  void has(const std::string& from, const dht::Contact& to, std::vector<ChunkId> ids,
           std::function<void(Result<std::vector<bool>>)> done);
  void prove(const std::string& from, const dht::Contact& to, const ChunkId& id, const replicate::ProofNonce& nonce,
             std::function<void(Result<crypto::Digest>)> done);

  EventLoop& loop_;
  const SimNetwork& liveness_;
  ChunkNetworkConfig config_;
  std::mt19937_64 rng_;
  std::unordered_map<std::string, Node> nodes_;
  std::vector<std::unique_ptr<Client>> clients_;
  std::unordered_set<std::string> tampering_;
  std::unordered_set<std::string> refusing_puts_;
  std::unordered_map<std::string, std::size_t> busy_puts_;  // left to answer busy, by address
  std::unordered_set<std::string> lying_;
  std::unordered_map<std::string, replicate::PlacerKey> lease_keys_;  // by address
  std::unordered_map<std::string, std::size_t> challenges_to_drop_;
  ChunkNetworkStats stats_;
  std::unordered_map<std::string, ChunkNetworkStats> sent_by_;
  std::unordered_map<std::string, ChunkNetworkStats> received_by_;
};

}  // namespace dfs::sim
