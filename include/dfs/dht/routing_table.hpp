// RoutingTable: a node's 256 k-buckets (DESIGN.md §4).
//
// Bucket i holds up to k contacts at XOR distance [2^i, 2^(i+1)) from the
// owner, least recently seen first. Kademlia's eviction rule favours old
// contacts, which are the likeliest to stay up: when a new contact arrives
// at a full bucket it waits in the bucket's small replacement cache while
// the least-recently-seen member is pinged, and only a failed ping makes
// room. The table does no I/O itself: observe() tells the caller whom to
// ping, and ping_done() reports the outcome.
//
// Not thread-safe; owned by one Dht and used on its loop thread.
#pragma once

#include <array>
#include <bitset>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dfs/dht/contact.hpp"

namespace dfs::dht {

using TimePoint = std::chrono::steady_clock::time_point;

// Contacts per network per bucket (DhtConfig::max_contacts_per_network
// and its prefix lengths); max_contacts 0: no cap.
struct NetworkCap {
  std::size_t max_contacts = 0;
  std::size_t ipv4_prefix_bits = 24;
  std::size_t ipv6_prefix_bits = 48;
};

class RoutingTable {
 public:
  struct Entry {
    Contact contact;
    TimePoint last_seen{};
    std::uint32_t failures = 0;  // consecutive failed RPCs
  };

  struct Bucket {
    std::vector<Entry> entries;       // least recently seen first, <= k
    std::vector<Entry> replacements;  // most recently seen last, <= cache size
    // The member being pinged to decide an eviction (at most one at a time).
    std::optional<NodeId> pinging;
    // Last time a lookup targeted this bucket's range (refresh clock).
    TimePoint last_lookup{};
  };

  enum class Outcome {
    ignored,    // the owner itself, or a contact without an ID
    added,      // appended to its bucket
    refreshed,  // already present: moved to most recently seen
    pending,    // bucket full: waits in the replacement cache
    network_full,  // its bucket holds NetworkCap::max_contacts of its network already
  };

  using NetworkCap = dht::NetworkCap;

  struct ObserveResult {
    Outcome outcome;
    // Set when the caller must ping this (least recently seen) member and
    // report with ping_done(); at most one ping per bucket at a time.
    std::optional<Contact> ping;
  };

  RoutingTable(NodeId self, std::size_t k, std::size_t replacement_cache_size, NetworkCap cap = {});

  // `contact` was heard from (it sent a request or answered one): adds it or
  // moves it to the most-recently-seen end and clears its failures.
  ObserveResult observe(const Contact& contact, TimePoint now);

  // Outcome of a ping that observe() asked for. A dead member is evicted and
  // the most recently seen replacement takes its place; a live one stays
  // (observe() it too, to move it to the most-recently-seen end).
  void ping_done(const NodeId& id, bool alive);

  // An RPC to `id` failed. After `max_failures` in a row the contact is
  // removed (and a replacement promoted). Returns whether it was removed.
  bool record_failure(const NodeId& id, std::uint32_t max_failures);

  // Removes `id` if present, promoting a replacement.
  void remove(const NodeId& id);

  // Up to `n` known contacts closest to `target`, closest first.
  std::vector<Contact> closest(const NodeId& target, std::size_t n) const;

  // A lookup of `target` is starting: resets its bucket's refresh clock.
  void touch(const NodeId& target, TimePoint now);

  // Buckets to refresh: those no lookup has touched within `interval`, from
  // the lowest non-empty bucket up (lower ones are empty in any network
  // this size, so refreshing them finds nothing).
  std::vector<std::size_t> stale_buckets(TimePoint now, std::chrono::milliseconds interval) const;

  bool contains(const NodeId& id) const;
  const Entry* find(const NodeId& id) const;
  std::size_t size() const { return size_; }
  const NodeId& self() const { return self_; }
  std::size_t k() const { return k_; }
  const Bucket& bucket(std::size_t index) const { return buckets_.at(index); }
  static constexpr std::size_t bucket_count() { return kIdBits; }

 private:
  Bucket& bucket_of(const NodeId& id) { return buckets_[bucket_index(self_, id)]; }
  void add_replacement(Bucket& bucket, const Contact& contact, TimePoint now);
  bool network_full(const Bucket& bucket, const Contact& contact) const;
  void erase_entry(Bucket& bucket, std::vector<Entry>::iterator it);

  NodeId self_;
  std::size_t k_;
  std::size_t replacement_cache_size_;
  NetworkCap cap_;
  std::array<Bucket, kIdBits> buckets_;
  // Bit i set iff bucket i has entries: lets closest() and stale_buckets()
  // skip empty buckets without touching them (most of the 256 are empty).
  std::bitset<kIdBits> nonempty_;
  std::size_t size_ = 0;  // sum of bucket entries (not replacements)
};

// The network an address ("host:port", "[v6]:port") is in, for the cap
// above: its first `ipv4_bits` / `ipv6_bits` bits, as a key; an address
// that is not an IP literal is a network of its own.
std::string network_of(const std::string& address, std::size_t ipv4_bits, std::size_t ipv6_bits);

}  // namespace dfs::dht
