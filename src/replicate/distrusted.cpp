#include "dfs/replicate/distrusted.hpp"

#include <algorithm>

namespace dfs::replicate {

void Distrusted::add(const dht::NodeId& peer) {
  const auto now = scheduler_.now();
  std::erase_if(until_, [now](const auto& entry) { return entry.second <= now; });
  if (until_.size() >= kMaxDistrusted && !until_.contains(peer)) {
    until_.erase(std::min_element(until_.begin(), until_.end(),
                                  [](const auto& a, const auto& b) { return a.second < b.second; }));
  }
  until_[peer] = now + period_;
}

bool Distrusted::contains(const dht::NodeId& peer) const {
  auto it = until_.find(peer);
  return it != until_.end() && scheduler_.now() < it->second;
}

std::vector<dht::Contact> Distrusted::without(std::vector<dht::Contact> contacts) const {
  if (until_.empty()) return contacts;
  std::erase_if(contacts, [this](const dht::Contact& c) { return contains(c.id); });
  return contacts;
}

std::size_t Distrusted::size() const {
  const auto now = scheduler_.now();
  return static_cast<std::size_t>(
      std::count_if(until_.begin(), until_.end(), [now](const auto& entry) { return now < entry.second; }));
}

}  // namespace dfs::replicate
