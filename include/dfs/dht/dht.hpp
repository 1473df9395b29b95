// Dht: one peer's Kademlia node (DESIGN.md §4) — routing table, iterative
// lookups, RPC handlers and the record store — over an abstract Transport
// and Scheduler, so that it never touches a socket and thousands of nodes
// run in one process on the simulator (tests/sim/).
//
// Threading: every method, and every callback it takes, runs on the thread
// of `scheduler`'s loop; the Dht has no locks. Callbacks are never called
// from inside the method that takes them (always on a later turn of the
// loop), so a caller may hold state across the call.
//
// Lifetime: the Transport and Scheduler must outlive the Dht. The Dht may be
// destroyed (on the loop thread) with RPCs and lookups in flight: their
// callbacks then do nothing and the `done` functions of unfinished
// operations are never called.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "dfs/dht/config.hpp"
#include "dfs/dht/contact.hpp"
#include "dfs/dht/messages.hpp"
#include "dfs/dht/record_store.hpp"
#include "dfs/dht/routing_table.hpp"
#include "dfs/util/scheduler.hpp"
#include "dfs/dht/transport.hpp"

namespace dfs::dht {

// What one lookup cost, for benchmarks and `dfs status`.
struct LookupStats {
  // Rounds: the longest chain of RPCs (each to a node learnt from the
  // previous one's reply) that led to a contact in the result.
  std::size_t hops = 0;
  std::size_t messages = 0;  // RPCs sent, retries included
  std::size_t failures = 0;  // of which failed (timeout, unreachable, bad reply)
  std::size_t results = 0;   // contacts returned
  std::chrono::milliseconds duration{0};
};

// Sums over every lookup this Dht ran (user and maintenance).
struct LookupTotals {
  std::uint64_t lookups = 0;
  std::uint64_t hops = 0;
  std::uint64_t messages = 0;
  std::uint64_t failures = 0;
};

// One line for dfs status: "DHT lookups: 1234 so far; the last 256:
// median 85 ms, 2 hops, 9 messages; slowest 310 ms".
std::string describe_lookups(const LookupTotals& totals, const std::deque<LookupStats>& recent);

struct LookupResult;

class Dht {
 public:
  // `self.id` must be this peer's node ID (non-zero) and `self.address` its
  // listen address, which is what other peers learn. Fields of `config` out
  // of range (see DhtConfig::validate) are clamped.
  Dht(Contact self, Transport& transport, Scheduler& scheduler, DhtConfig config = {});
  ~Dht();
  Dht(const Dht&) = delete;
  Dht& operator=(const Dht&) = delete;

  // Answers an incoming RPC from `from` (whose ID the transport verified)
  // and records `from` in the routing table as recently seen: at once if
  // the table has it at those addresses, else only once a ping to the
  // addresses it claims (the transport tries them in turn) is answered by
  // that ID (a peer cannot put made-up IDs or someone else's address in
  // our table by talking to us; of several addresses, one is proven).
  Response handle(const Contact& from, const Request& request);

  // Joins the network: asks each seed (an ID may be zero: learnt from its
  // reply) for the nodes near our ID, looks up our own ID, then refreshes
  // every bucket farther than our closest neighbour. `done` gets OK once at
  // least one seed answered and the join lookups ended, Errc::unavailable
  // if no seed answered, Errc::invalid_argument for an empty seed list.
  // Our own ID is looked up again a few times after `done` (see
  // DhtConfig::join_followup_delay), to meet peers that joined with us.
  void bootstrap(std::vector<Contact> seeds, std::function<void(Status)> done);

  // Iterative lookup (alpha RPCs in flight): up to k contacts closest to
  // `target` that answered during the lookup, closest first, never self.
  // Empty when no known contact answered. With `settle` (1..k), the lookup
  // ends as soon as the `settle` closest it knows have answered (see
  // lookup.hpp): fewer round trips when only that many are needed (the R
  // holders of a chunk); the first `settle` returned are those.
  void find_closest(const NodeId& target, std::function<void(std::vector<Contact>)> done, std::size_t settle = 0);

  // Publishes `record` as this node: sets record.publisher to our ID,
  // stores it on the k closest nodes to record.key (including this node
  // when it is one of them) and republishes it every
  // record_republish_interval until stop_publishing(key). `done` gets how
  // many nodes accepted it; Errc::invalid_argument / too_large for a bad
  // record (see validate_record), Errc::unavailable if nobody stored it
  // (it is still republished later). Pick ttl_seconds above the republish
  // interval, or copies lapse between republishes.
  void put_record(Record record, std::function<void(Result<std::size_t>)> done);

  // Stops republishing our record under `key` (copies expire by TTL).
  void stop_publishing(const NodeId& key);

  // Records under `key`, one per publisher (the freshest: longest TTL
  // left), from this node's store and an iterative FIND_VALUE lookup.
  // Errc::not_found when none was found.
  void get_records(const NodeId& key, std::function<void(Result<std::vector<Record>>)> done);

  // Pings every contact dropped after failures and still remembered (see
  // DhtConfig::lost_contact_retry_interval) now, without waiting for the
  // next retry; `done` gets how many answered (they are back in the
  // table). For an operation that found no one: after a cut link heals,
  // the contacts it lost answer again at once.
  void ping_lost_contacts(std::function<void(std::size_t answered)> done);
  std::size_t lost_contacts() const { return lost_.size(); }

  // The routing table's `n` closest contacts to `target` (no network).
  std::vector<Contact> closest_known(const NodeId& target, std::size_t n) const;

  // Schedules maintenance (record expiry, bucket refresh, republish and
  // replication) every config.maintenance_interval. stop() cancels it;
  // operations already in flight still finish.
  void start();
  void stop();

  const Contact& self() const { return self_; }
  // Where other peers reach us; "" when they cannot (p2p/reachability.hpp).
  // Only placement reads it (a self without an address holds no replica);
  // peers learn our address from the transport's handshake, not from here.
  void set_self_address(std::string address) { self_.address = std::move(address); }
  const DhtConfig& config() const { return config_; }
  const RoutingTable& table() const { return table_; }
  const RecordStore& records() const { return store_; }
  // The most recently completed lookup: inside a find_closest /
  // get_records / put_record callback, the one that served it.
  const LookupStats& last_lookup() const { return last_lookup_; }
  const LookupTotals& lookup_totals() const { return totals_; }
  // The last kRecentLookups lookups' costs, oldest first: what dfs status
  // takes its medians from (bench/wan.sh reads them as round trips).
  static constexpr std::size_t kRecentLookups = 256;
  const std::deque<LookupStats>& recent_lookups() const { return recent_; }

 private:
  using RpcDone = std::function<void(Result<Reply>)>;
  using LookupDone = std::function<void(LookupResult)>;
  struct Published {
    Record record;
    TimePoint next_due;
  };
  struct PendingRpc;
  struct Join;

  // Sends one RPC with the request_timeout backstop, keeps the routing
  // table informed of the outcome, and calls `on_done` asynchronously.
  void rpc(const Contact& to, Request request, RpcDone on_done);
  void complete_rpc(const std::shared_ptr<PendingRpc>& pending, Result<Reply> result);
  // Runs `fn` on a later turn of the loop, unless the Dht is gone by then.
  void post(std::function<void()> fn);
  void note_alive(const Contact& contact);
  void ping_for_eviction(const Contact& stale);
  void verify_contact(const Contact& contact);

  void run_lookup(const NodeId& target, bool find_value, std::vector<Contact> extra, LookupDone done,
                  std::size_t settle = 0);
  void record_stats(const LookupStats& stats);
  void ask_seed(const std::shared_ptr<Join>& join, const Contact& seed, std::uint32_t retries,
                std::function<void()> after_seeds);
  void refresh_buckets(const std::vector<std::size_t>& buckets, std::function<void()> done);
  void follow_up_join(milliseconds delay, std::uint32_t left);
  void store_on_closest(const Record& record, bool store_locally, std::function<void(Result<std::size_t>)> done);
  void store_on(const std::vector<Contact>& nodes, const Record& record, std::size_t already,
                std::function<void(Result<std::size_t>)> done);
  void maintain();
  // Contacts dropped after failures, pinged again (DhtConfig::
  // lost_contact_retry_interval) until they answer or are forgotten.
  void remember_lost(const Contact& contact);
  void schedule_lost_retry();
  void retry_lost();
  void lost_one_is_back();
  void ping_lost();

  Response answer(const Contact& from, const Request& request);

  Contact self_;                     // its address: see set_self_address
  const std::string listen_address_;  // as constructed: no seed is dialed there
  Transport& transport_;
  Scheduler& scheduler_;
  const DhtConfig config_;
  RoutingTable table_;
  RecordStore store_;
  // Records this node published, republished until stop_publishing().
  std::unordered_map<NodeId, Published> published_;
  // Contacts being checked by verify_contact(); at most kMaxVerifying.
  std::unordered_set<NodeId> verifying_;
  std::mt19937_64 rng_;  // bucket-refresh targets only; not for secrets
  std::uint64_t maintenance_timer_ = 0;  // 0 when not running
  struct Lost {
    Contact contact;
    TimePoint at;  // when it was dropped
  };
  static constexpr std::size_t kMaxLostContacts = 16;
  std::deque<Lost> lost_;  // oldest first, at most kMaxLostContacts
  std::uint64_t lost_timer_ = 0;  // 0 when no retry is scheduled
  std::optional<TimePoint> last_lost_ping_;
  LookupStats last_lookup_;
  LookupTotals totals_;
  std::deque<LookupStats> recent_;  // at most kRecentLookups
  int sending_ = 0;  // > 0 while inside Transport::send (see rpc())
  // Callbacks hold a weak_ptr to this; once the Dht is destroyed it
  // expires and they return without touching the Dht.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace dfs::dht
