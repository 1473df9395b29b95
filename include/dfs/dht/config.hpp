// DhtConfig: the Kademlia parameters (DESIGN.md §4), named once here.
// Defaults are the paper's (k = 20, alpha = 3, hourly refresh) and suit a
// real network; tests shorten the intervals on a virtual clock.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "dfs/util/result.hpp"

namespace dfs::dht {

using std::chrono::milliseconds;

inline constexpr std::size_t kDefaultK = 20;
inline constexpr std::size_t kDefaultAlpha = 3;

struct DhtConfig {
  // Bucket size, and how many closest nodes a lookup returns and a record
  // is stored on. At most kMaxContactsPerResponse.
  std::size_t k = kDefaultK;
  // RPCs a lookup keeps in flight.
  std::size_t alpha = kDefaultAlpha;
  // Candidates a full bucket keeps in reserve for when a member dies.
  std::size_t replacement_cache_size = 5;
  // Contacts one bucket takes from one network: addresses that share their
  // first ipv4_prefix_bits (IPv4) or ipv6_prefix_bits (IPv6). Whoever
  // controls one subnet cannot fill a bucket with IDs of their making
  // (S/Kademlia); more contacts from it are not taken. 0: no cap. The
  // default, k / 2 per /24 or /48, leaves a test network on 127.0.0.x
  // (one /24) up to 10 peers per bucket: enough for the tests' networks,
  // whose farthest bucket holds about half of them.
  std::size_t max_contacts_per_network = kDefaultK / 2;
  std::size_t ipv4_prefix_bits = 24;
  std::size_t ipv6_prefix_bits = 48;
  // Consecutive failed RPCs after which a contact leaves the routing table
  // (a failed ping-before-evict removes it at once).
  std::uint32_t max_failures = 3;

  // Backstop for one RPC: the Dht gives up on a reply after this even if
  // the transport has not reported. The transport's own timeout should be
  // at most this.
  milliseconds request_timeout{2000};
  // Extra attempts a lookup makes on a contact whose RPC failed before it
  // counts it as dead: a lost packet should not drop a live node from the
  // result, while a dead one costs (1 + retries) timeouts.
  std::uint32_t lookup_retries = 1;

  // A bucket that no lookup has targeted for this long is refreshed by a
  // lookup of a random ID in its range.
  milliseconds bucket_refresh_interval{std::chrono::hours(1)};
  // Records this node published are stored again on the k closest nodes
  // this often, which also reaches nodes that joined near the key.
  milliseconds record_republish_interval{std::chrono::hours(1)};
  // Records this node stores for others and has not received again within
  // this interval are re-stored on the k closest (with their remaining
  // TTL), so they survive their publisher for their lifetime. 0 disables.
  milliseconds record_replicate_interval{std::chrono::hours(1)};
  // Kademlia's expiry time: the longest a node keeps a record it was sent,
  // whatever TTL the publisher asks for.
  milliseconds record_expiry{std::chrono::hours(24)};
  // The same for signed records (dht/signed_record.hpp): a namespace's
  // recovery pointer must outlive its machine as long as the chunks it
  // names do (node/leases.hpp), so they may live 31 days.
  milliseconds signed_record_expiry{std::chrono::hours(24 * 31)};
  // Records a node stores for others, over all keys.
  std::size_t max_stored_records = 100'000;
  // After a join, our own ID is looked up again this long later, then
  // twice and four times as long later (join_followups in all). Peers
  // that joined at the same moment through the same seeds miss each
  // other: the seed answers neither with the other while it is still
  // verifying them (Dht::handle), and without these lookups they would
  // meet only at the next bucket refresh, an hour later. 0 disables.
  milliseconds join_followup_delay{std::chrono::seconds(3)};
  std::uint32_t join_followups = 3;
  // How often start() wakes up to expire records and check the intervals
  // above (each duty has its own due time; this is only the granularity).
  milliseconds maintenance_interval{std::chrono::minutes(1)};
  // A contact dropped after max_failures in a row is remembered (the
  // latest kMaxLostContacts, for lost_contact_memory) and pinged every
  // lost_contact_retry_interval: when a partition heals, the two sides
  // find each other again at once, not only when a lookup happens to meet
  // one of them. An answer puts it back in the table. 0 disables.
  milliseconds lost_contact_retry_interval{std::chrono::seconds(10)};
  milliseconds lost_contact_memory{std::chrono::hours(1)};

  // Seed for the Dht's non-cryptographic randomness (refresh targets). 0:
  // seeded from the OS. Simulations set it so that runs repeat.
  std::uint64_t random_seed = 0;

  // Errc::invalid_argument naming the first field out of range.
  Status validate() const;
};

}  // namespace dfs::dht
