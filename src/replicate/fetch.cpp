// Fetcher: the peers closest to the chunk, the least busy of its likely
// holders first, hedged (see ReplicationConfig::fetch_*).
#include "dfs/replicate/fetcher.hpp"

#include <algorithm>
#include <string>

#include "dfs/chunk/sealed_chunk.hpp"
#include "dfs/util/log.hpp"
#include "describe.hpp"
#include "dfs/replicate/placement.hpp"

namespace dfs::replicate {

using dht::Contact;
using dht::NodeId;

// What one fetch() carries from step to step (loop thread).
struct Fetcher::Op {
  ChunkId id;
  std::function<void(Result<Bytes>)> done;
  std::vector<Contact> candidates;  // closest first
  std::size_t next = 0;             // the next candidate to ask
  std::size_t holders = 0;          // candidates[0, holders): the ones placement put it on
  std::size_t in_flight = 0;        // GETs (and checks of their answers) not over yet
  std::size_t unsent = 0;           // of those, GETs still in the transfer queue
  std::uint64_t hedge_timer = 0;
  std::uint64_t deadline_timer = 0;
  bool finished = false;
  bool looked_up = false;           // the lookup of the closest peers is over
  bool pinged_lost = false;         // fail() pinged the lost contacts once
  std::vector<Contact> likely_holders;  // the R closest in the routing table before the lookup
  // How the peers asked so far failed, for the final error message: how
  // many did not hold it, and "<peer> at <address>: <why>" for each of the
  // others (at most the k candidates).
  std::size_t not_found = 0;
  std::size_t answered_with_failure = 0;  // asked, and failed otherwise than not_found
  std::vector<std::string> failures;

  // Names every peer asked and why each failed, so that a user can tell a
  // stopped peer from a missing chunk.
  std::string summary(std::size_t known) const {
    if (!looked_up) {
      return "still looking up the peers closest to it; this peer knows " + std::to_string(known) + " peers";
    }
    std::vector<std::string> parts;
    if (not_found > 0) parts.push_back(std::to_string(not_found) + " did not hold it");
    parts.insert(parts.end(), failures.begin(), failures.end());
    const std::size_t pending = next - not_found - answered_with_failure;
    if (pending > 0) parts.push_back(std::to_string(pending) + " did not answer in time");
    std::string s = candidates.empty()
                        ? "the lookup found no peer to ask; this peer knows " + std::to_string(known)
                        : "asked " + std::to_string(next) + " of the " + std::to_string(candidates.size()) +
                              " peers found";
    for (std::size_t i = 0; i < parts.size(); ++i) s += (i == 0 ? ": " : "; ") + parts[i];
    return s;
  }
};

Fetcher::Fetcher(dht::Dht& dht, ClosestPeers& peers, Transfers& transfers, Scheduler& scheduler,
                 BlockingRunner* runner, const ReplicationConfig& config, Counters& counters)
    : dht_(dht),
      peers_(peers),
      transfers_(transfers),
      scheduler_(scheduler),
      config_(config),
      counters_(counters),
      life_(scheduler, runner) {}

void Fetcher::fetch(const ChunkId& id, std::function<void(Result<Bytes>)> done) {
  auto op = std::make_shared<Op>();
  op->id = id;
  op->done = std::move(done);
  op->deadline_timer = scheduler_.schedule(config_.fetch_timeout, life_.guard([this, op] {
    op->deadline_timer = 0;
    finish(op, make_error(Errc::unavailable, "chunk " + op->id.short_hex() + ": no replica served it within " +
                                                       std::to_string(config_.fetch_timeout.count()) + " ms (" +
                                                       op->summary(dht_.table().size()) + ")"));
  }));
  from_peers(op);
}

// In a network smaller than k the first GET leaves with the lookup, to
// the least busy of the likely holders the routing table names (a lookup
// costs a round trip, and there the table holds every peer it would
// find); the lookup's answer then adds the peers not asked yet.
void Fetcher::from_peers(const std::shared_ptr<Op>& op) {
  if (op->finished) return;
  const NodeId key = NodeId::from_chunk(op->id);
  op->likely_holders = dht_.table().closest(key, config_.replicas);
  op->candidates = closest_first(key, peers_.closest_known(key, config_.replicas), dht_.self().id);
  op->holders = likely_holders(key, op->candidates);
  ask_more(op);
  peers_.find(key, life_.guard([this, op, key](std::vector<Contact> found) {
    if (op->finished) return;
    take_found(*op, key, std::move(found));
    note_silent_holders(*op);
    if (op->candidates.empty()) {
      return fail(op, make_error(Errc::unavailable, "chunk " + op->id.short_hex() + ": no replica to ask (" +
                                                              op->summary(dht_.table().size()) + ")"));
    }
    if (op->in_flight == 0) return ask_more(op);
    // The GET sent ahead is hedged as any other, now that there may be
    // more peers to hedge with (its hedge may have come and gone, or never
    // been due with no other peer known); once it is sent, as any other.
    if (op->hedge_timer == 0 && op->unsent == 0) arm_hedge(op);
  }));
}

// The peers asked ahead of the lookup stay first (op.next counts them);
// the ones it found that were not asked follow, closest first.
void Fetcher::take_found(Op& op, const NodeId& key, std::vector<Contact> found) {
  std::vector<Contact> sorted = closest_first(key, std::move(found), dht_.self().id);
  const std::size_t holders = likely_holders(key, sorted);
  op.candidates.resize(op.next);
  op.holders = op.next;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    const auto asked_end = op.candidates.begin() + static_cast<std::ptrdiff_t>(op.next);
    const bool asked = std::any_of(op.candidates.begin(), asked_end,
                                   [&](const Contact& c) { return c.id == sorted[i].id; });
    if (asked) continue;
    op.candidates.push_back(sorted[i]);
    if (i < holders) ++op.holders;
  }
  op.looked_up = true;
}

// The likely holders this peer knew that the lookup did not return (they
// did not answer it: stopped, or cut off): named in the error, and the
// fetch can no longer claim that the chunk does not exist.
void Fetcher::note_silent_holders(Op& op) {
  for (const Contact& holder : op.likely_holders) {
    const bool found = std::any_of(op.candidates.begin(), op.candidates.end(),
                                   [&](const Contact& c) { return c.id == holder.id; });
    if (!found) op.failures.push_back(describe(holder) + ": did not answer the lookup");
  }
}

// Asks the next candidate if the fetch has room for another GET. Once
// that GET is sent (it may wait in the transfer queue first), the hedge
// timer asks one more if nobody answers meanwhile: the delay counts from
// the send, so a deep queue (a get of a large file across a long link)
// does not hedge GETs that never had a chance to answer.
void Fetcher::ask_more(const std::shared_ptr<Op>& op) {
  if (op->finished) return;
  // Before the lookup answers, one GET at most (from_peers).
  const bool may_ask = op->looked_up || op->next == 0;
  if (may_ask && op->in_flight < config_.fetch_parallelism && op->next < op->candidates.size()) {
    const Contact peer = take_least_busy(*op);
    ++op->in_flight;
    ++op->unsent;
    ++gets_to_[peer.id];
    transfers_.get(
        peer, op->id,
        life_.guard([this, op, peer](Result<Bytes> answer) {
          if (auto it = gets_to_.find(peer.id); it != gets_to_.end() && --it->second == 0) gets_to_.erase(it);
          answered(op, peer, std::move(answer));
        }),
        life_.guard([this, op] {
          --op->unsent;
          arm_hedge(op);
        }));
  }
  if (op->looked_up && op->in_flight == 0 && op->next >= op->candidates.size()) {
    // Every peer asked answered that it holds no such chunk: as far as the
    // network knows it does not exist (an unknown File ID is ENOENT), unlike
    // a chunk whose holders were unreachable or served bad bytes (EIO).
    const Errc code = op->not_found == op->next && op->failures.empty() ? Errc::not_found : Errc::unavailable;
    return fail(op, make_error(code, "chunk " + op->id.short_hex() + ": no replica could serve it (" +
                                               op->summary(dht_.table().size()) + ")"));
  }
}

// How many of `candidates` (closest first, self left out) placement put a
// copy on: the R closest of all, so R - 1 of them when self is one of the
// R closest (self was asked first: its chunk source chain, which missed).
std::size_t Fetcher::likely_holders(const NodeId& key, const std::vector<Contact>& candidates) const {
  const std::size_t r = config_.replicas;
  const std::size_t closer_than_self = static_cast<std::size_t>(
      std::count_if(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(std::min(r, candidates.size())),
                    [&](const Contact& c) { return dht::closer(key, c.id, dht_.self().id); }));
  return std::min(candidates.size(), closer_than_self < r ? r - 1 : r);
}

// The next candidate to ask. Among the likely holders not asked yet, the
// one with the fewest of this peer's GETs in flight (the closest of those
// on a tie), so that a get spreads over every holder's link: XOR distance
// makes one peer the closest to many more keys than another (in a small
// network, to a third of them or more), and one TCP connection across a
// long round trip moves only its window per round trip. Beyond the likely
// holders, in order of distance.
Contact Fetcher::take_least_busy(Op& op) {
  auto busy = [this](const Contact& c) {
    const auto it = gets_to_.find(c.id);
    return it == gets_to_.end() ? std::size_t{0} : it->second;
  };
  if (op.next < op.holders) {
    const auto first = op.candidates.begin() + static_cast<std::ptrdiff_t>(op.next);
    const auto end = op.candidates.begin() + static_cast<std::ptrdiff_t>(op.holders);
    const auto least = std::min_element(first, end, [&](const Contact& a, const Contact& b) { return busy(a) < busy(b); });
    std::rotate(first, least, least + 1);  // keeps the others in order of distance
  }
  return op.candidates[op.next++];
}

void Fetcher::arm_hedge(const std::shared_ptr<Op>& op) {
  if (op->finished) return;
  if (op->hedge_timer != 0) scheduler_.cancel(op->hedge_timer);
  op->hedge_timer = 0;
  if (op->in_flight < config_.fetch_parallelism && op->next < op->candidates.size()) {
    op->hedge_timer = scheduler_.schedule(config_.fetch_hedge_delay, life_.guard([this, op] {
      op->hedge_timer = 0;
      ask_more(op);
    }));
  }
}

void Fetcher::answered(const std::shared_ptr<Op>& op, const Contact& from, Result<Bytes> answer) {
  if (op->finished) return;
  if (!answer.ok()) {
    --op->in_flight;
    switch (answer.error().code) {
      case Errc::not_found: ++op->not_found; break;
      case Errc::timed_out:
      case Errc::unavailable:
        peers_.forget();
        op->failures.push_back(describe(from) + ": " + answer.error().message);
        ++op->answered_with_failure;
        break;
      default:  // corrupt: the peer's own copy went bad
        op->failures.push_back(describe(from) + ": " + answer.error().message);
        ++op->answered_with_failure;
        break;
    }
    log::debug("fetch: chunk " + op->id.short_hex() + " from " + describe(from) + ": " +
               answer.error().to_string());
    return ask_more(op);
  }
  // Hash on the runner: a 1 MiB SHA-256 is too long for the network loop.
  auto bytes = std::make_shared<Bytes>(std::move(answer).value());
  life_.run_blocking<Status>([bytes, id = op->id] { return verify_chunk(id, *bytes); },
                       [this, op, from, bytes](Status verified) { checked(op, from, bytes, std::move(verified)); });
}

void Fetcher::checked(const std::shared_ptr<Op>& op, const Contact& from,
                               std::shared_ptr<Bytes> bytes, Status verified) {
  --op->in_flight;
  if (op->finished) return;
  if (verified.ok() && bytes->size() <= kMaxSealedChunkSize) return finish(op, std::move(*bytes));
  op->failures.push_back(describe(from) + ": served bytes that do not match the chunk's ID");
  ++op->answered_with_failure;
  bump(counters_.corrupt_responses);
  log::warn("fetch: peer " + describe(from) + " served " + std::to_string(bytes->size()) + " bytes for chunk " +
            op->id.hex() + " that do not match its ID; trying the next replica");
  ask_more(op);
}

// A peer whose link was cut drops the contacts that stopped answering,
// and pings them again only every lost_contact_retry_interval: right
// after the link heals, its lookups see only the peers that were on its
// side of the cut, which may hold nothing. So a fetch that found no
// replica pings the lost contacts at once and, if any is back, starts
// over (once; a fetch that still fails costs one ping round trip more).
void Fetcher::fail(const std::shared_ptr<Op>& op, Error error) {
  if (op->pinged_lost || dht_.lost_contacts() == 0) return finish(op, std::move(error));
  op->pinged_lost = true;
  dht_.ping_lost_contacts(life_.guard([this, op, error = std::move(error)](std::size_t answered) mutable {
    if (op->finished) return;
    if (answered == 0) return finish(op, std::move(error));
    log::debug("fetch: chunk " + op->id.short_hex() + ": " + std::to_string(answered) +
               " lost contacts answered again; looking it up anew");
    op->candidates.clear();
    op->next = op->not_found = op->answered_with_failure = 0;
    op->failures.clear();
    op->looked_up = false;
    peers_.forget();
    from_peers(op);
  }));
}

void Fetcher::finish(const std::shared_ptr<Op>& op, Result<Bytes> result) {
  if (op->finished) return;
  op->finished = true;
  if (op->hedge_timer != 0) scheduler_.cancel(op->hedge_timer);
  if (op->deadline_timer != 0) scheduler_.cancel(op->deadline_timer);
  op->hedge_timer = op->deadline_timer = 0;
  bump(counters_.fetches);
  if (!result.ok()) {
    bump(counters_.fetch_failures);
    log::info("fetch: " + result.error().to_string());
  }
  auto done = std::move(op->done);
  done(std::move(result));
}

}  // namespace dfs::replicate
