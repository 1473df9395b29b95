#include "dfs/replicate/closest_peers.hpp"

namespace dfs::replicate {

ClosestPeers::ClosestPeers(dht::Dht& dht, Scheduler& scheduler, std::chrono::milliseconds ttl)
    : dht_(dht), scheduler_(scheduler), ttl_(ttl), life_(scheduler, nullptr) {}

void ClosestPeers::find(const dht::NodeId& key, std::function<void(std::vector<dht::Contact>)> done) {
  if (small_network_ && scheduler_.now() < small_network_->until) {
    return life_.post([peers = small_network_->peers, done = std::move(done)] { done(peers); });
  }
  dht_.find_closest(key, life_.guard([this, done = std::move(done)](std::vector<dht::Contact> found) {
    if (ttl_.count() > 0 && !found.empty() && found.size() < dht_.config().k) {
      small_network_ = PeerSet{found, scheduler_.now() + ttl_};
    } else {
      small_network_.reset();
    }
    done(std::move(found));
  }));
}

}  // namespace dfs::replicate
