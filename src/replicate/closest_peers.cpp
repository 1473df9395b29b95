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
  if (small_network_ && scheduler_.now() < small_network_->until) {
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
          small_network_ = PeerSet{found, scheduler_.now() + ttl_};
        } else {
          small_network_.reset();
        }
        done(distrusted_.without(std::move(found)));
      }),
      settle ? settle_ : 0);
}

}  // namespace dfs::replicate
