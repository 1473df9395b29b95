// Lookup: one iterative Kademlia lookup (FIND_NODE or FIND_VALUE) toward a
// target. Private to src/dht; Dht creates them.
//
// The shortlist holds every contact learnt, ordered by distance to the
// target. The lookup keeps up to alpha RPCs in flight to the closest
// contacts not yet asked, among the k closest that have not failed, and
// ends when those k have all answered (or none are left). A failed RPC is
// retried `retries` times before the contact counts as dead.
//
// Once alpha answers in a row brought no contact closer than the closest
// known, the lookup has converged: as in the Kademlia paper's final round,
// every contact of the k closest not yet asked is asked at once, rather
// than alpha at a time. The result is the same (the end condition does not
// change); a network whose nodes all know each other is looked up in two
// round trips instead of k / alpha. And a lookup that starts with fewer
// contacts than its window (a routing table of fewer than k: every peer
// this node knows) asks them all at once, since it must hear from each:
// a network whose nodes all know each other is then looked up in one.
//
// A settled lookup (Params::settle = s < k) works the same over the s
// closest instead of the k: it ends once the s closest live contacts it
// knows have all answered, i.e. as soon as the closest answers stop
// bringing closer ones. On a WAN this saves the rounds spent waiting for
// the farther of the k; what it returns is the s closest (exactly, as far
// as the lookup could learn) followed by any others that answered.
//
// Lifetime: owned by shared_ptrs held in the callbacks of its own RPCs; it
// dies with the last of them. It runs on the Dht's loop thread only.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "dfs/dht/dht.hpp"

namespace dfs::dht {

struct LookupResult {
  std::vector<Contact> closest;  // up to k contacts that answered, closest first
  std::vector<Record> records;   // FIND_VALUE only: one per publisher
  LookupStats stats;
};

class Lookup : public std::enable_shared_from_this<Lookup> {
 public:
  // Sends one RPC; the callback must run on a later turn of the loop.
  using Rpc = std::function<void(const Contact&, Request, std::function<void(Result<Reply>)>)>;

  struct Params {
    NodeId target;
    NodeId self;  // never added to the shortlist
    bool find_value = false;
    std::size_t k = kDefaultK;
    std::size_t alpha = kDefaultAlpha;
    std::uint32_t retries = 1;
    std::size_t settle = 0;  // 0 or >= k: strict (the k closest)
  };

  Lookup(Params params, Rpc rpc, Scheduler& scheduler, std::function<void(LookupResult)> done);

  // Seeds the shortlist with `initial` and sends the first RPCs. `done` is
  // called once, from start() itself if there is nobody to ask.
  void start(const std::vector<Contact>& initial);

 private:
  enum class State : std::uint8_t { fresh, in_flight, answered, failed };
  struct Candidate {
    Contact contact;
    State state = State::fresh;
    std::uint32_t attempts = 0;
    std::size_t depth = 0;  // RPC rounds before we learnt it (0: initial)
  };

  void add(const Contact& contact, std::size_t depth);
  void pump();
  void send(const NodeId& key, Candidate& candidate);
  Request make_request() const;
  void on_reply(const NodeId& key, Result<Reply> result);
  bool absorb(Candidate& candidate, const Response& body);
  // How many of the closest contacts must answer: k, or the settle count.
  std::size_t width() const;
  // Distance key of the closest candidate not failed (all ones if none).
  NodeId closest_live() const;
  void merge_record(const Record& record);
  void finish();

  Params params_;
  Rpc rpc_;
  Scheduler& scheduler_;
  std::function<void(LookupResult)> done_;
  // Keyed by XOR distance to the target, which is unique per ID, so the
  // map is the shortlist in order and finds a candidate by its ID.
  std::map<NodeId, Candidate> shortlist_;
  std::map<NodeId, Record> records_;  // by publisher
  std::size_t in_flight_ = 0;
  std::size_t unimproved_ = 0;  // answers in a row that brought nothing closer
  bool final_round_ = false;    // converged: the whole window may be in flight
  bool finished_ = false;
  TimePoint started_{};
  LookupStats stats_;
};

}  // namespace dfs::dht
