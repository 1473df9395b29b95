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
  const std::size_t k = dht_.config().k;
  const bool settle = settle_ > 0 && dht_.table().size() >= k;
  dht_.find_closest(
      key,
      life_.guard([this, k, settle, done = std::move(done)](std::vector<dht::Contact> found) {
        if (!settle && ttl_.count() > 0 && !found.empty() && found.size() < k) {
          std::vector<dht::NodeId> known = table_ids();
          for (const dht::Contact& c : found) known.push_back(c.id);
          std::sort(known.begin(), known.end());
          small_network_ = PeerSet{found, std::move(known), scheduler_.now() + ttl_};
        } else {
          small_network_.reset();
        }
        done(distrusted_.without(std::move(found)));
      }),
      settle ? settle_ : 0);
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
