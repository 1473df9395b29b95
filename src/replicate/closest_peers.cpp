#include "dfs/replicate/closest_peers.hpp"

#include <algorithm>

namespace dfs::replicate {

ClosestPeers::ClosestPeers(dht::Dht& dht, Scheduler& scheduler, std::chrono::milliseconds ttl, std::size_t settle,
                           const Distrusted& distrusted)
    : dht_(dht),
      scheduler_(scheduler),
      ttl_(ttl),
      settle_(std::min(settle, dht.config().k)),
      distrusted_(distrusted),
      life_(scheduler, nullptr) {}

void ClosestPeers::find(const dht::NodeId& key, std::function<void(std::vector<dht::Contact>)> done) {
  if (small_network_ && scheduler_.now() < small_network_->until && !table_has_newcomer(*small_network_)) {
    return life_.post([peers = distrusted_.without(small_network_->peers), done = std::move(done)] { done(peers); });
  }
  // Below k known peers a strict lookup tells whether the network is
  // small: one that finds fewer than k has met everyone. A settled one
  // finding fewer proves nothing, so it never sets the peer set.
  const bool settle = settle_ > 0 && dht_.table().size() >= dht_.config().k;
  if (settle || ttl_.count() == 0) return lookup(key, std::move(done), settle);
  // The first chunks of a get or put ask at once: one lookup may show that
  // the network is small, and the others wait for it rather than each
  // paying the round trips of its own.
  waiting_.push_back(Waiting{key, std::move(done)});
  if (waiting_.size() > 1) return;
  lookup(key, nullptr, false);
}

std::vector<dht::Contact> ClosestPeers::closest_known(const dht::NodeId& key, std::size_t n) const {
  if (dht_.table().size() >= dht_.config().k) return {};
  return distrusted_.without(dht_.table().closest(key, n));
}

void ClosestPeers::lookup(const dht::NodeId& key, std::function<void(std::vector<dht::Contact>)> done, bool settle) {
  const std::size_t k = dht_.config().k;
  const bool probe = done == nullptr;  // on behalf of waiting_
  dht_.find_closest(
      key,
      life_.guard([this, k, settle, probe, done = std::move(done)](std::vector<dht::Contact> found) {
        if (!settle && ttl_.count() > 0 && !found.empty() && found.size() < k) {
          std::vector<dht::NodeId> known = table_ids();
          for (const dht::Contact& c : found) known.push_back(c.id);
          std::sort(known.begin(), known.end());
          small_network_ = PeerSet{found, std::move(known), scheduler_.now() + ttl_};
        } else {
          small_network_.reset();
        }
        if (!probe) return done(distrusted_.without(std::move(found)));
        release_waiting(std::move(found));
      }),
      settle ? settle_ : 0);
}

// The probe's own key is answered with what it found; the others from the
// peer set it made, or, in a network it did not show to be small, by a
// lookup of their own.
void ClosestPeers::release_waiting(std::vector<dht::Contact> found) {
  std::vector<Waiting> waiting = std::move(waiting_);
  waiting_.clear();
  if (waiting.empty()) return;
  waiting.front().done(distrusted_.without(std::move(found)));
  for (std::size_t i = 1; i < waiting.size(); ++i) {
    if (small_network_) {
      life_.post([peers = distrusted_.without(small_network_->peers), done = std::move(waiting[i].done)] { done(peers); });
    } else {
      lookup(waiting[i].key, std::move(waiting[i].done), false);
    }
  }
}

std::vector<dht::NodeId> ClosestPeers::table_ids() const {
  std::vector<dht::NodeId> ids;
  for (const dht::Contact& c : dht_.table().closest(dht_.self().id, dht_.table().size())) ids.push_back(c.id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

bool ClosestPeers::table_has_newcomer(const PeerSet& set) const {
  for (const dht::NodeId& id : table_ids()) {
    if (!std::binary_search(set.known.begin(), set.known.end(), id)) return true;
  }
  return false;
}

}  // namespace dfs::replicate
