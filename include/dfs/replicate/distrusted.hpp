// Distrusted: the peers this node caught claiming chunks they could not
// prove they hold (a failed storage challenge, repairer.hpp), and until
// when it leaves them out: placement, fetch and repair skip them, so their
// claims stop counting as copies and the chunks go to honest peers. The
// ban ends after ReplicationConfig::distrust_period (a peer that lost a
// disk and came back empty is not banned for ever).
//
// Bounded: at most kMaxDistrusted peers are remembered; past that, the ban
// that ends soonest is dropped (a liar with many identities must spend an
// identity per lie it gets counted for, and cannot grow this table).
//
// Loop thread only (the Replicator's parts share one).
#pragma once

#include <chrono>
#include <cstddef>
#include <unordered_map>
#include <vector>

#include "dfs/dht/contact.hpp"
#include "dfs/util/scheduler.hpp"

namespace dfs::replicate {

inline constexpr std::size_t kMaxDistrusted = 1024;

class Distrusted {
 public:
  Distrusted(Scheduler& scheduler, std::chrono::milliseconds period) : scheduler_(scheduler), period_(period) {}

  // `peer` failed a challenge now: banned for the period from now.
  void add(const dht::NodeId& peer);
  bool contains(const dht::NodeId& peer) const;
  // `contacts` without the banned peers.
  std::vector<dht::Contact> without(std::vector<dht::Contact> contacts) const;
  // Peers banned right now.
  std::size_t size() const;

 private:
  Scheduler& scheduler_;
  const std::chrono::milliseconds period_;
  // Until when each peer is banned; expired entries are dropped by add().
  std::unordered_map<dht::NodeId, std::chrono::steady_clock::time_point> until_;
};

}  // namespace dfs::replicate
