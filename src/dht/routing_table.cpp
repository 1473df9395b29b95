#include "dfs/dht/routing_table.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>

namespace dfs::dht {

namespace {

auto by_id(const NodeId& id) {
  return [&id](const RoutingTable::Entry& e) { return e.contact.id == id; };
}

}  // namespace

RoutingTable::RoutingTable(NodeId self, std::size_t k, std::size_t replacement_cache_size, NetworkCap cap)
    : self_(self), k_(k), replacement_cache_size_(replacement_cache_size), cap_(cap) {}

bool RoutingTable::network_full(const Bucket& bucket, const Contact& contact) const {
  if (cap_.max_contacts == 0) return false;
  const std::string network = network_of(contact.address, cap_.ipv4_prefix_bits, cap_.ipv6_prefix_bits);
  const auto same = std::count_if(bucket.entries.begin(), bucket.entries.end(), [&](const Entry& e) {
    return network_of(e.contact.address, cap_.ipv4_prefix_bits, cap_.ipv6_prefix_bits) == network;
  });
  return static_cast<std::size_t>(same) >= cap_.max_contacts;
}

std::string network_of(const std::string& address, std::size_t ipv4_bits, std::size_t ipv6_bits) {
  std::string host = address.substr(0, address.rfind(':'));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::array<unsigned char, 16> ip{};
  std::size_t bits = 0, bytes = 0;
  if (::inet_pton(AF_INET, host.c_str(), ip.data()) == 1) {
    bits = ipv4_bits;
    bytes = 4;
  } else if (::inet_pton(AF_INET6, host.c_str(), ip.data()) == 1) {
    bits = ipv6_bits;
    bytes = 16;
  } else {
    return "name " + host;
  }
  std::string key(1, static_cast<char>(bytes));
  for (std::size_t i = 0; i < bytes; ++i) {
    const std::size_t kept = bits > 8 * i ? std::min<std::size_t>(8, bits - 8 * i) : 0;
    const auto mask = static_cast<unsigned char>(kept == 0 ? 0 : 0xff << (8 - kept));
    key.push_back(static_cast<char>(ip[i] & mask));
  }
  return key;
}

RoutingTable::ObserveResult RoutingTable::observe(const Contact& contact, TimePoint now) {
  if (!contact.has_id() || contact.id == self_ || contact.address.empty()) return {Outcome::ignored, {}};
  Bucket& bucket = bucket_of(contact.id);
  auto it = std::find_if(bucket.entries.begin(), bucket.entries.end(), by_id(contact.id));
  if (it != bucket.entries.end()) {
    // Move to the most-recently-seen end; the addresses may have changed
    // (a peer restarted on another port).
    Entry entry = std::move(*it);
    bucket.entries.erase(it);
    entry.contact.address = contact.address;
    entry.contact.more_addresses = contact.more_addresses;
    entry.last_seen = now;
    entry.failures = 0;
    bucket.entries.push_back(std::move(entry));
    return {Outcome::refreshed, {}};
  }
  if (network_full(bucket, contact)) return {Outcome::network_full, {}};
  if (bucket.entries.size() < k_) {
    bucket.entries.push_back(Entry{contact, now, 0});
    nonempty_.set(bucket_index(self_, contact.id));
    ++size_;
    return {Outcome::added, {}};
  }
  add_replacement(bucket, contact, now);
  if (bucket.pinging) return {Outcome::pending, {}};
  bucket.pinging = bucket.entries.front().contact.id;
  return {Outcome::pending, bucket.entries.front().contact};
}

void RoutingTable::add_replacement(Bucket& bucket, const Contact& contact, TimePoint now) {
  auto& cache = bucket.replacements;
  cache.erase(std::remove_if(cache.begin(), cache.end(), by_id(contact.id)), cache.end());
  cache.push_back(Entry{contact, now, 0});
  // The cache keeps the most recently seen; the oldest candidate goes.
  if (cache.size() > replacement_cache_size_) cache.erase(cache.begin());
}

void RoutingTable::ping_done(const NodeId& id, bool alive) {
  if (id == self_) return;
  Bucket& bucket = bucket_of(id);
  if (bucket.pinging == id) bucket.pinging.reset();
  if (!alive) remove(id);
}

bool RoutingTable::record_failure(const NodeId& id, std::uint32_t max_failures) {
  if (!id.is_zero() && id != self_) {
    Bucket& bucket = bucket_of(id);
    auto it = std::find_if(bucket.entries.begin(), bucket.entries.end(), by_id(id));
    if (it != bucket.entries.end() && ++it->failures >= max_failures) {
      erase_entry(bucket, it);
      return true;
    }
  }
  return false;
}

void RoutingTable::remove(const NodeId& id) {
  if (id.is_zero() || id == self_) return;
  Bucket& bucket = bucket_of(id);
  auto it = std::find_if(bucket.entries.begin(), bucket.entries.end(), by_id(id));
  if (it != bucket.entries.end()) erase_entry(bucket, it);
}

void RoutingTable::erase_entry(Bucket& bucket, std::vector<Entry>::iterator it) {
  if (bucket.pinging == it->contact.id) bucket.pinging.reset();
  const std::size_t index = bucket_index(self_, it->contact.id);
  bucket.entries.erase(it);
  --size_;
  if (bucket.replacements.empty()) {
    nonempty_.set(index, !bucket.entries.empty());
    return;
  }
  // The newest candidate is the likeliest to still be up. It joins as the
  // most recently seen member although older members were seen later: it
  // is the one we know least about, so it should not be pinged first.
  bucket.entries.push_back(std::move(bucket.replacements.back()));
  bucket.replacements.pop_back();
  ++size_;
}

std::vector<Contact> RoutingTable::closest(const NodeId& target, std::size_t n) const {
  // Bucket i holds the x with self^x in [2^i, 2^(i+1)). With d = self^target,
  // the distance x^target = d ^ (self^x) keeps d's bits above i and flips
  // bit i. So where d has bit i set, bucket i's contacts are closer than d
  // and closer the higher i; where it is clear they are farther, and farther
  // the higher i. Visiting buckets in that order (bits set, descending; then
  // bits clear, ascending) yields contacts in XOR order with only one
  // bucket sorted at a time.
  const NodeId d = distance(self_, target);
  auto bit = [&d](std::size_t i) { return ((d.bytes[kIdBytes - 1 - i / 8] >> (i % 8)) & 1) != 0; };
  std::vector<Contact> out;
  out.reserve(n);
  std::vector<const Entry*> sorted;
  auto take = [&](std::size_t i) {
    sorted.clear();
    for (const Entry& e : buckets_[i].entries) sorted.push_back(&e);
    const std::size_t used = std::min(sorted.size(), n - out.size());
    std::partial_sort(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(used), sorted.end(),
                      [&target](const Entry* a, const Entry* b) { return closer(target, a->contact.id, b->contact.id); });
    for (std::size_t k = 0; k < used; ++k) out.push_back(sorted[k]->contact);
  };
  for (std::size_t i = kIdBits; i-- > 0 && out.size() < n;) {
    if (nonempty_[i] && bit(i)) take(i);
  }
  for (std::size_t i = 0; i < kIdBits && out.size() < n; ++i) {
    if (nonempty_[i] && !bit(i)) take(i);
  }
  return out;
}

void RoutingTable::touch(const NodeId& target, TimePoint now) {
  if (target == self_) return;
  bucket_of(target).last_lookup = now;
}

std::vector<std::size_t> RoutingTable::stale_buckets(TimePoint now, std::chrono::milliseconds interval) const {
  std::vector<std::size_t> out;
  std::size_t lowest = 0;
  while (lowest < kIdBits && !nonempty_[lowest]) ++lowest;
  for (std::size_t i = lowest; i < kIdBits; ++i) {
    if (buckets_[i].last_lookup == TimePoint{} || now - buckets_[i].last_lookup >= interval) out.push_back(i);
  }
  return out;
}

bool RoutingTable::contains(const NodeId& id) const { return find(id) != nullptr; }

const RoutingTable::Entry* RoutingTable::find(const NodeId& id) const {
  if (id.is_zero() || id == self_) return nullptr;
  const Bucket& bucket = buckets_[bucket_index(self_, id)];
  auto it = std::find_if(bucket.entries.begin(), bucket.entries.end(), by_id(id));
  return it == bucket.entries.end() ? nullptr : &*it;
}

}  // namespace dfs::dht
