// Placement: which peers a chunk belongs on (DESIGN.md §4) — the R whose
// node IDs are closest (XOR) to the chunk ID — computed from what a DHT
// lookup returned. Pure functions, no I/O.
#pragma once

#include <cstddef>
#include <vector>

#include "dfs/dht/contact.hpp"
#include "dfs/replicate/distrusted.hpp"

namespace dfs::replicate {

struct Placement {
  // The R closest peers other than this node, closest first. Fewer when
  // the network is smaller.
  std::vector<dht::Contact> peers;
  // This node is one of the R closest of {self} ∪ found (then `peers` has
  // R - 1 entries at most). Never when self has no address: other peers
  // cannot dial it (it advertises none, or none dialed back: see
  // p2p/reachability.hpp), so its copy is no replica.
  bool self_is_replica = false;
  // The other contacts found, closest first: where a copy goes when a
  // replica refuses it or cannot be reached.
  std::vector<dht::Contact> spares;
};

// `contacts` sorted closest to `key` first, without `self`, duplicates
// and contacts that have no ID.
std::vector<dht::Contact> closest_first(const dht::NodeId& key, std::vector<dht::Contact> contacts,
                                        const dht::NodeId& self);

// Places `key` among `self` and `found` (a lookup's result; any order,
// duplicates, self and contacts without an ID are ignored).
Placement place(const dht::Contact& self, const dht::NodeId& key, const std::vector<dht::Contact>& found,
                std::size_t replicas);

// What one lookup proves about the neighbourhood of its target, so that a
// repair round can place the other chunks there without a lookup each.
//
// A lookup returns the k closest live nodes to its target t. If the
// farthest of them shares p - 1 leading bits with t, every node sharing at
// least p bits with t is closer than it, hence in the result: the prefix
// subtree S of t at depth p is known in full. For any key in S, the nodes
// in S are closer than every node outside it (they share more leading
// bits), so when S holds at least R nodes the key's R closest are the R
// closest of S. Keys sorted by ID fall in S as one run, which is why a
// round walks its chunks in order.
class Neighbourhood {
 public:
  // From a lookup of `target` that returned `found` (at most `k` contacts,
  // the live ones among the k closest it met). `known_peers` is how many
  // contacts this node's routing table holds: a result shorter than k
  // covers the whole network only if it has all of them. `self` is known
  // without a lookup and counts as a member.
  Neighbourhood(const dht::Contact& self, const dht::NodeId& target, const std::vector<dht::Contact>& found,
                std::size_t k, std::size_t known_peers);

  // Whether the R closest nodes to `key` are known from this lookup.
  bool covers(const dht::NodeId& key, std::size_t replicas) const;
  // place() over the members but those `skip` (may be null) holds; only meaningful
  // when covers(key, replicas). (Skipping a member can leave S with fewer
  // than R trusted members; the placement then takes what S has.)
  Placement place(const dht::NodeId& key, std::size_t replicas, const Distrusted* skip = nullptr) const;

  // Leading bits a key must share with the target to be in S.
  std::size_t prefix_bits() const { return prefix_bits_; }
  // The lookup returned fewer than k contacts and every contact this node
  // knows: it places any key (S is the whole ID space).
  bool whole_network() const { return whole_network_; }

 private:
  dht::Contact self_;
  dht::NodeId target_;
  std::size_t prefix_bits_ = 0;
  std::vector<dht::Contact> members_;  // found contacts in S, not self
  bool self_inside_ = false;
  bool whole_network_ = false;
};

}  // namespace dfs::replicate
