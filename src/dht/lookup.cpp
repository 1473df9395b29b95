#include "lookup.hpp"

#include <algorithm>
#include <chrono>

#include "dfs/dht/signed_record.hpp"

namespace dfs::dht {

Lookup::Lookup(Params params, Rpc rpc, Scheduler& scheduler, std::function<void(LookupResult)> done)
    : params_(params), rpc_(std::move(rpc)), scheduler_(scheduler), done_(std::move(done)) {}

void Lookup::start(const std::vector<Contact>& initial) {
  started_ = scheduler_.now();
  for (const Contact& c : initial) add(c, 0);
  // Fewer contacts than the window: the routing table holds every peer
  // this node knows, and the lookup must hear from each of them unless
  // closer ones turn up, so they are all asked at once. In a network
  // whose peers all know each other (smaller than k) that is the whole
  // lookup: one round trip, where alpha at a time and then the rest took
  // two. A table of k or more starts with alpha, as the paper does.
  if (shortlist_.size() < width()) final_round_ = true;
  pump();
  final_round_ = false;  // later rounds go alpha at a time until they converge
}

void Lookup::add(const Contact& contact, std::size_t depth) {
  if (!contact.has_id() || contact.id == params_.self || contact.address.empty()) return;
  auto [it, inserted] = shortlist_.try_emplace(distance(contact.id, params_.target), Candidate{contact, State::fresh, 0, depth});
  // Learnt again by a shorter path before being asked: the shorter counts.
  if (!inserted && it->second.state == State::fresh) it->second.depth = std::min(it->second.depth, depth);
}

void Lookup::pump() {
  if (finished_) return;
  bool waiting = false;  // some of the closest live candidates have not answered yet
  const std::size_t width = this->width();
  // Once the answers stop bringing closer contacts, the rest of the window
  // is asked at once: the Kademlia paper's final round.
  const std::size_t parallel = final_round_ ? width : params_.alpha;
  std::size_t window = 0;
  for (auto& [key, candidate] : shortlist_) {
    if (candidate.state == State::failed) continue;
    if (window++ == width) break;
    if (candidate.state == State::fresh && in_flight_ < parallel) send(key, candidate);
    if (candidate.state != State::answered) waiting = true;
  }
  // RPCs still in flight outside the window are not waited for: closer
  // nodes have answered, so their replies cannot change the result.
  if (!waiting) finish();
}

void Lookup::send(const NodeId& key, Candidate& candidate) {
  candidate.state = State::in_flight;
  ++candidate.attempts;
  ++in_flight_;
  ++stats_.messages;
  rpc_(candidate.contact, make_request(),
       [self = shared_from_this(), key](Result<Reply> result) { self->on_reply(key, std::move(result)); });
}

Request Lookup::make_request() const {
  if (params_.find_value) return FindValueRequest{params_.target};
  return FindNodeRequest{params_.target};
}

void Lookup::on_reply(const NodeId& key, Result<Reply> result) {
  --in_flight_;
  if (finished_) return;
  auto it = shortlist_.find(key);
  if (it == shortlist_.end()) return;  // cannot happen: candidates are never erased
  Candidate& candidate = it->second;
  const NodeId closest_before = closest_live();
  if (result.ok() && absorb(candidate, result->body)) {
    candidate.state = State::answered;
    // alpha answers in a row that taught nothing closer than what was
    // known: the lookup has converged and only confirmations are left.
    unimproved_ = closest_live() < closest_before ? 0 : unimproved_ + 1;
    if (unimproved_ >= params_.alpha) final_round_ = true;
  } else {
    ++stats_.failures;
    // A reply of the wrong kind is a broken peer, not a lost packet.
    const bool retry = !result.ok() && candidate.attempts <= params_.retries;
    candidate.state = retry ? State::fresh : State::failed;
  }
  pump();
}

std::size_t Lookup::width() const {
  return params_.settle > 0 ? std::min(params_.settle, params_.k) : params_.k;
}

NodeId Lookup::closest_live() const {
  for (const auto& [key, candidate] : shortlist_) {
    if (candidate.state != State::failed) return key;
  }
  NodeId farthest;
  farthest.bytes.fill(0xff);
  return farthest;
}

bool Lookup::absorb(Candidate& candidate, const Response& body) {
  const std::vector<Contact>* contacts = nullptr;
  if (params_.find_value) {
    const auto* value = std::get_if<FindValueResponse>(&body);
    if (value == nullptr) return false;
    for (const Record& r : value->records) merge_record(r);
    contacts = &value->contacts;
  } else {
    const auto* nodes = std::get_if<FindNodeResponse>(&body);
    if (nodes == nullptr) return false;
    contacts = &nodes->contacts;
  }
  // A peer may send more than it should; a bounded share is enough.
  const std::size_t n = std::min(contacts->size(), kMaxContactsPerResponse);
  for (std::size_t i = 0; i < n; ++i) add((*contacts)[i], candidate.depth + 1);
  return true;
}

void Lookup::merge_record(const Record& record) {
  if (record.key != params_.target || !validate_record(record).ok()) return;
  auto [it, inserted] = records_.try_emplace(record.publisher, record);
  if (!inserted && later_copy(record, it->second)) it->second = record;
}

void Lookup::finish() {
  finished_ = true;
  LookupResult result;
  for (const auto& [key, candidate] : shortlist_) {
    if (result.closest.size() == params_.k) break;
    if (candidate.state != State::answered) continue;
    result.closest.push_back(candidate.contact);
    stats_.hops = std::max(stats_.hops, candidate.depth + 1);
  }
  for (auto& [publisher, record] : records_) result.records.push_back(std::move(record));
  stats_.results = result.closest.size();
  stats_.duration = std::chrono::duration_cast<std::chrono::milliseconds>(scheduler_.now() - started_);
  result.stats = stats_;
  // Free the shortlist now: late replies keep this object alive a while.
  shortlist_.clear();
  records_.clear();
  auto done = std::move(done_);
  done(std::move(result));
}

}  // namespace dfs::dht
