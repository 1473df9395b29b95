// Dht core: RPC plumbing, incoming requests, lookups and joining. Records
// and periodic maintenance are in dht_records.cpp.
#include "dfs/dht/dht.hpp"

#include <algorithm>

#include "dfs/crypto/crypto.hpp"
#include "dfs/util/log.hpp"
#include "lookup.hpp"

namespace dfs::dht {

namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

// Brings every field into range, so that a bad option degrades to a
// working node (with a warning) instead of a broken one.
DhtConfig sanitize(DhtConfig c) {
  if (Status s = c.validate(); !s.ok()) log::warn(s.error().to_string() + "; using the nearest valid value");
  const DhtConfig defaults;
  c.k = std::clamp<std::size_t>(c.k, 1, kMaxContactsPerResponse);
  c.alpha = std::clamp<std::size_t>(c.alpha, 1, c.k);
  c.max_failures = std::max<std::uint32_t>(c.max_failures, 1);
  auto positive = [](milliseconds& v, milliseconds fallback) {
    if (v.count() <= 0) v = fallback;
  };
  positive(c.request_timeout, defaults.request_timeout);
  positive(c.bucket_refresh_interval, defaults.bucket_refresh_interval);
  positive(c.record_republish_interval, defaults.record_republish_interval);
  positive(c.record_expiry, defaults.record_expiry);
  positive(c.signed_record_expiry, defaults.signed_record_expiry);
  positive(c.maintenance_interval, defaults.maintenance_interval);
  if (c.record_replicate_interval.count() < 0) c.record_replicate_interval = milliseconds(0);
  if (c.join_followup_delay.count() < 0) c.join_followup_delay = milliseconds(0);
  if (c.lost_contact_retry_interval.count() < 0) c.lost_contact_retry_interval = milliseconds(0);
  return c;
}

std::uint64_t seed_of(const DhtConfig& config) {
  if (config.random_seed != 0) return config.random_seed;
  std::uint64_t seed = 0;
  crypto::random_bytes(MutableByteView(reinterpret_cast<std::uint8_t*>(&seed), sizeof seed));
  return seed;
}

}  // namespace

// One RPC in flight: completed once, by the transport's callback or by the
// request_timeout backstop, whichever comes first.
struct Dht::PendingRpc {
  Contact to;
  RpcDone on_done;
  std::uint64_t timer = 0;
  bool done = false;
};

Dht::Dht(Contact self, Transport& transport, Scheduler& scheduler, DhtConfig config)
    : self_(std::move(self)),
      listen_address_(self_.address),
      transport_(transport),
      scheduler_(scheduler),
      config_(sanitize(config)),
      table_(self_.id, config_.k, config_.replacement_cache_size,
             {config_.max_contacts_per_network, config_.ipv4_prefix_bits, config_.ipv6_prefix_bits}),
      store_(config_.max_stored_records, config_.record_expiry, config_.signed_record_expiry),
      rng_(seed_of(config_)) {}

Dht::~Dht() { stop(); }

void Dht::post(std::function<void()> fn) {
  scheduler_.schedule(milliseconds(0), [alive = std::weak_ptr<int>(alive_), fn = std::move(fn)] {
    if (!alive.expired()) fn();
  });
}

void Dht::rpc(const Contact& to, Request request, RpcDone on_done) {
  auto pending = std::make_shared<PendingRpc>(PendingRpc{to, std::move(on_done)});
  std::weak_ptr<int> alive = alive_;
  // Backstop: a transport that never reports must not stall a lookup.
  pending->timer = scheduler_.schedule(config_.request_timeout, [this, alive, pending] {
    if (alive.expired()) return;
    pending->timer = 0;
    complete_rpc(pending, make_error(Errc::timed_out, "no reply from " + pending->to.address + " in time"));
  });
  ++sending_;
  transport_.send(to, std::move(request), [this, alive, pending](Result<Reply> result) {
    if (alive.expired()) return;
    if (sending_ > 0) {
      // Called from inside send(): finish on a later turn, so that callers
      // (a lookup iterating its shortlist) are never re-entered.
      post([this, pending, result = std::move(result)]() mutable { complete_rpc(pending, std::move(result)); });
      return;
    }
    complete_rpc(pending, std::move(result));
  });
  --sending_;
}

void Dht::complete_rpc(const std::shared_ptr<PendingRpc>& pending, Result<Reply> result) {
  if (pending->done) return;
  pending->done = true;
  if (pending->timer != 0) scheduler_.cancel(pending->timer);
  if (result.ok()) {
    const NodeId& id = result->from.id;
    // The transport verified who answered; it must be whom we asked.
    if (id.is_zero() || (pending->to.has_id() && id != pending->to.id)) {
      result = make_error(Errc::unavailable, "peer at " + pending->to.address + " answered with another node ID");
    }
  }
  if (result.ok()) {
    note_alive(result->from);
  } else if (table_.record_failure(pending->to.id, config_.max_failures)) {
    remember_lost(pending->to);
  }
  auto on_done = std::move(pending->on_done);
  on_done(std::move(result));
}

void Dht::note_alive(const Contact& contact) {
  auto observed = table_.observe(contact, scheduler_.now());
  if (observed.ping) ping_for_eviction(*observed.ping);
  if (std::erase_if(lost_, [&](const Lost& l) { return l.contact.id == contact.id; }) > 0) lost_one_is_back();
}

// A contact lost to failures answering again most likely means a cut link
// is back, and the others lost with it are reachable too: they are pinged
// at once rather than at the next retry (up to lost_contact_retry_interval
// later). Until then this node sees only part of the network, and repair
// would place copies on whichever peer of the other side it heard from
// first. At most once a second: a whole side coming back pings each lost
// contact once, not once per returning peer.
void Dht::lost_one_is_back() {
  const TimePoint now = scheduler_.now();
  if (lost_.empty() || (last_lost_ping_ && now - *last_lost_ping_ < std::chrono::seconds(1))) return;
  ping_lost();
}

void Dht::ping_lost() {
  last_lost_ping_ = scheduler_.now();
  for (const Lost& l : lost_) rpc(l.contact, PingRequest{}, [](Result<Reply>) {});
}

void Dht::ping_for_eviction(const Contact& stale) {
  rpc(stale, PingRequest{}, [this, id = stale.id](Result<Reply> result) { table_.ping_done(id, result.ok()); });
}

Response Dht::handle(const Contact& from, const Request& request) {
  const RoutingTable::Entry* known = table_.find(from.id);
  if (known != nullptr && known->contact.address == from.address &&
      known->contact.more_addresses == from.more_addresses) {
    note_alive(from);
  } else {
    verify_contact(from);
  }
  return answer(from, request);
}

// Pings `contact` at the address it claims; rpc() adds it to the table
// if the answer comes from that ID. Bounded: a flood of strangers costs at
// most kMaxVerifying pings at a time, the rest are not routed to.
void Dht::verify_contact(const Contact& contact) {
  constexpr std::size_t kMaxVerifying = 32;
  if (!contact.has_id() || contact.id == self_.id || contact.address.empty()) return;
  if (verifying_.size() >= kMaxVerifying || !verifying_.insert(contact.id).second) return;
  rpc(contact, PingRequest{}, [this, id = contact.id](Result<Reply>) { verifying_.erase(id); });
}

Response Dht::answer(const Contact& from, const Request& request) {
  const TimePoint now = scheduler_.now();
  // The asker knows itself; leaving it out makes room for one more.
  auto closest_for = [&](const NodeId& target) {
    auto contacts = table_.closest(target, config_.k + 1);
    std::erase_if(contacts, [&](const Contact& c) { return c.id == from.id; });
    if (contacts.size() > config_.k) contacts.resize(config_.k);
    return contacts;
  };
  return std::visit(
      Overloaded{
          [](const PingRequest&) -> Response { return PingResponse{}; },
          [&](const FindNodeRequest& r) -> Response { return FindNodeResponse{closest_for(r.target)}; },
          [&](const FindValueRequest& r) -> Response {
            return FindValueResponse{store_.get(r.key, now), closest_for(r.key)};
          },
          [&](const StoreRequest& r) -> Response { return StoreResponse{store_.put(r.record, now)}; },
      },
      request);
}

std::vector<Contact> Dht::closest_known(const NodeId& target, std::size_t n) const {
  return table_.closest(target, n);
}

void Dht::run_lookup(const NodeId& target, bool find_value, std::vector<Contact> extra, LookupDone done,
                     std::size_t settle) {
  table_.touch(target, scheduler_.now());
  Lookup::Params params{target, self_.id, find_value, config_.k, config_.alpha, config_.lookup_retries, settle};
  auto initial = table_.closest(target, config_.k);
  initial.insert(initial.end(), extra.begin(), extra.end());
  // The lookup only calls back through rpc(), whose callbacks stop once the
  // Dht is gone, so capturing `this` is safe.
  auto lookup = std::make_shared<Lookup>(
      params, [this](const Contact& to, Request request, RpcDone cb) { rpc(to, std::move(request), std::move(cb)); },
      scheduler_, [this, done = std::move(done)](LookupResult result) {
        record_stats(result.stats);
        done(std::move(result));
      });
  post([lookup, initial = std::move(initial)] { lookup->start(initial); });
}

void Dht::record_stats(const LookupStats& stats) {
  last_lookup_ = stats;
  recent_.push_back(stats);
  if (recent_.size() > kRecentLookups) recent_.pop_front();
  ++totals_.lookups;
  totals_.hops += stats.hops;
  totals_.messages += stats.messages;
  totals_.failures += stats.failures;
}

void Dht::find_closest(const NodeId& target, std::function<void(std::vector<Contact>)> done, std::size_t settle) {
  run_lookup(
      target, false, {}, [done = std::move(done)](LookupResult result) { done(std::move(result.closest)); }, settle);
}

struct Dht::Join {
  std::size_t waiting = 0;   // seeds not answered or failed yet
  std::size_t answered = 0;  // seeds that answered
  std::vector<Contact> learnt;
  std::function<void(Status)> done;
};

void Dht::bootstrap(std::vector<Contact> seeds, std::function<void(Status)> done) {
  std::erase_if(seeds, [&](const Contact& c) {
    return c.address.empty() || c.id == self_.id || c.address == listen_address_;
  });
  if (seeds.empty()) {
    post([done = std::move(done)] { done(make_error(Errc::invalid_argument, "no bootstrap seed other than this node")); });
    return;
  }
  auto join = std::make_shared<Join>(Join{seeds.size(), 0, {}, std::move(done)});
  auto after_seeds = [this, join] {
    if (join->answered == 0) {
      join->done(make_error(Errc::unavailable, "no bootstrap seed answered"));
      return;
    }
    run_lookup(self_.id, false, std::move(join->learnt), [this, join](LookupResult) {
      // Kademlia's join: refresh every bucket farther than our closest
      // neighbour, so that our table spans the ID space and nodes there
      // learn of us.
      auto stale = table_.stale_buckets(scheduler_.now(), config_.bucket_refresh_interval);
      if (!stale.empty()) stale.erase(stale.begin());  // the self lookup covered the closest
      refresh_buckets(stale, [join] { join->done(Status{}); });
      follow_up_join(config_.join_followup_delay, config_.join_followups);
    });
  };
  for (const Contact& seed : seeds) ask_seed(join, seed, config_.lookup_retries, after_seeds);
}

void Dht::ask_seed(const std::shared_ptr<Join>& join, const Contact& seed, std::uint32_t retries,
                   std::function<void()> after_seeds) {
  rpc(seed, FindNodeRequest{self_.id}, [this, join, seed, retries, after_seeds](Result<Reply> result) {
    if (!result.ok() && retries > 0) {
      // A lost packet should not fail a join: the seed is all we know.
      ask_seed(join, seed, retries - 1, after_seeds);
      return;
    }
    if (result.ok() && result->from.id != self_.id) {
      ++join->answered;
      if (const auto* nodes = std::get_if<FindNodeResponse>(&result->body)) {
        const std::size_t n = std::min(nodes->contacts.size(), kMaxContactsPerResponse);
        join->learnt.insert(join->learnt.end(), nodes->contacts.begin(),
                            nodes->contacts.begin() + static_cast<std::ptrdiff_t>(n));
      }
    }
    if (--join->waiting == 0) after_seeds();
  });
}

// A lookup of our own ID `delay` from now, then `left - 1` more, each
// after twice the delay before: meets the peers that joined at the same
// time as we did (see DhtConfig::join_followup_delay). They talk to us
// when they see us in a reply, so both sides learn each other.
void Dht::follow_up_join(milliseconds delay, std::uint32_t left) {
  if (left == 0 || delay.count() == 0) return;
  scheduler_.schedule(delay, [this, alive = std::weak_ptr<int>(alive_), delay, left] {
    if (alive.expired()) return;
    run_lookup(self_.id, false, {}, [](LookupResult) {});
    follow_up_join(delay * 2, left - 1);
  });
}

void Dht::remember_lost(const Contact& contact) {
  if (config_.lost_contact_retry_interval.count() == 0 || contact.address.empty()) return;
  std::erase_if(lost_, [&](const Lost& l) { return l.contact.id == contact.id; });
  lost_.push_back(Lost{contact, scheduler_.now()});
  if (lost_.size() > kMaxLostContacts) lost_.pop_front();
  if (lost_timer_ == 0 && maintenance_timer_ != 0) schedule_lost_retry();
}

void Dht::schedule_lost_retry() {
  lost_timer_ = scheduler_.schedule(config_.lost_contact_retry_interval,
                                    [this, alive = std::weak_ptr<int>(alive_)] {
                                      if (alive.expired()) return;
                                      lost_timer_ = 0;
                                      retry_lost();
                                    });
}

// Pings each remembered contact that is not back in the table yet; an
// answer puts it back (complete_rpc -> note_alive), and the peer we
// reach verifies and adds us in turn.
void Dht::retry_lost() {
  const TimePoint now = scheduler_.now();
  std::erase_if(lost_, [&](const Lost& l) {
    return table_.contains(l.contact.id) || now - l.at >= config_.lost_contact_memory;
  });
  ping_lost();
  if (!lost_.empty()) schedule_lost_retry();
}

void Dht::ping_lost_contacts(std::function<void(std::size_t)> done) {
  struct Pings {
    std::size_t left = 0;
    std::size_t answered = 0;
    std::function<void(std::size_t)> done;
  };
  auto pings = std::make_shared<Pings>(Pings{lost_.size(), 0, std::move(done)});
  if (lost_.empty()) return post([pings] { pings->done(0); });
  const std::deque<Lost> lost = lost_;  // an answer changes lost_
  for (const Lost& l : lost) {
    rpc(l.contact, PingRequest{}, [pings](Result<Reply> reply) {
      if (reply.ok()) ++pings->answered;
      if (--pings->left == 0) pings->done(pings->answered);
    });
  }
}

void Dht::refresh_buckets(const std::vector<std::size_t>& buckets, std::function<void()> done) {
  if (buckets.empty()) {
    post(std::move(done));
    return;
  }
  auto remaining = std::make_shared<std::size_t>(buckets.size());
  for (std::size_t index : buckets) {
    run_lookup(random_id_in_bucket(self_.id, index, rng_), false, {}, [remaining, done](LookupResult) {
      if (--*remaining == 0) done();
    });
  }
}

}  // namespace dfs::dht
