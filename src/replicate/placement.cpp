#include "dfs/replicate/placement.hpp"

#include <algorithm>

namespace dfs::replicate {

using dht::Contact;
using dht::NodeId;

std::vector<Contact> closest_first(const NodeId& key, std::vector<Contact> contacts, const NodeId& self) {
  std::erase_if(contacts, [&self](const Contact& c) { return !c.has_id() || c.id == self; });
  std::sort(contacts.begin(), contacts.end(),
            [&key](const Contact& a, const Contact& b) { return dht::closer(key, a.id, b.id); });
  // Equal IDs are at equal distance, hence adjacent after the sort.
  contacts.erase(std::unique(contacts.begin(), contacts.end(),
                             [](const Contact& a, const Contact& b) { return a.id == b.id; }),
                 contacts.end());
  return contacts;
}

Placement place(const Contact& self, const NodeId& key, const std::vector<Contact>& found, std::size_t replicas) {
  Placement out;
  std::vector<Contact> others = closest_first(key, found, self.id);
  // Self takes a slot when fewer than `replicas` others are closer than it,
  // and others can dial it: a copy nobody can fetch is no replica.
  const auto closer_than_self = static_cast<std::size_t>(std::count_if(
      others.begin(), others.end(), [&](const Contact& c) { return dht::closer(key, c.id, self.id); }));
  out.self_is_replica = !self.address.empty() && closer_than_self < replicas;
  const std::size_t peer_slots = out.self_is_replica ? replicas - 1 : replicas;
  const std::size_t taken = std::min(peer_slots, others.size());
  out.peers.assign(others.begin(), others.begin() + static_cast<std::ptrdiff_t>(taken));
  out.spares.assign(others.begin() + static_cast<std::ptrdiff_t>(taken), others.end());
  return out;
}

Neighbourhood::Neighbourhood(const Contact& self, const NodeId& target, const std::vector<Contact>& found,
                             std::size_t k, std::size_t known_peers)
    : self_(self), target_(target) {
  std::vector<Contact> sorted = closest_first(target, found, self.id);
  // A lookup also comes back short when some of the k closest it met were
  // dead, so a short result means "whole network" only when this node
  // knows nobody else either.
  whole_network_ = sorted.size() < k && sorted.size() >= known_peers;
  if (whole_network_ || sorted.empty()) {
    prefix_bits_ = whole_network_ ? 0 : dht::kIdBits;  // everything, or only the target
  } else {
    // Every live node sharing more leading bits with the target than the
    // farthest result does is closer than it, so the lookup found it.
    prefix_bits_ = std::min<std::size_t>(dht::common_prefix_length(target, sorted.back().id) + 1, dht::kIdBits);
  }
  for (Contact& c : sorted) {
    if (dht::common_prefix_length(target, c.id) >= prefix_bits_) members_.push_back(std::move(c));
  }
  self_inside_ = !self.address.empty() && dht::common_prefix_length(target, self.id) >= prefix_bits_;
}

bool Neighbourhood::covers(const NodeId& key, std::size_t replicas) const {
  if (dht::common_prefix_length(target_, key) < prefix_bits_) return false;
  return whole_network_ || members_.size() + (self_inside_ ? 1 : 0) >= replicas;
}

Placement Neighbourhood::place(const NodeId& key, std::size_t replicas, const Distrusted* skip) const {
  return replicate::place(self_, key, skip != nullptr ? skip->without(members_) : members_, replicas);
}

}  // namespace dfs::replicate
