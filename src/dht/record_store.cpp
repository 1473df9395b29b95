#include "dfs/dht/record_store.hpp"

#include <algorithm>

#include "dfs/dht/signed_record.hpp"

namespace dfs::dht {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::uint32_t remaining_ttl_seconds(TimePoint expires_at, TimePoint now) {
  if (expires_at <= now) return 0;
  const auto left = std::chrono::ceil<seconds>(expires_at - now).count();
  return static_cast<std::uint32_t>(std::min<std::int64_t>(left, UINT32_MAX));
}

RecordStore::RecordStore(std::size_t max_records, milliseconds max_ttl, milliseconds max_signed_ttl)
    : max_records_(max_records), max_ttl_(max_ttl), max_signed_ttl_(max_signed_ttl.count() > 0 ? max_signed_ttl : max_ttl) {}

bool RecordStore::put(const Record& record, TimePoint now) {
  if (!validate_record(record).ok()) return false;
  if (auto sequence = signed_sequence(record)) return put_signed(record, *sequence, now);
  const auto ttl = std::min<milliseconds>(seconds(record.ttl_seconds), max_ttl_);
  const Stored incoming{record, now + ttl, now, std::nullopt};
  auto& records = by_key_[record.key];
  auto same = std::find_if(records.begin(), records.end(),
                           [&](const Stored& s) { return s.record.publisher == record.publisher; });
  if (same != records.end()) {
    if (same->expires_at <= now) {
      *same = incoming;  // an expired copy never blocks a new one
    } else if (incoming.expires_at >= same->expires_at) {
      *same = incoming;
    } else {
      same->received_at = now;  // an older copy: keep ours, but it is still wanted
    }
    return true;
  }
  if (records.size() >= kMaxRecordsPerKey || size_ >= max_records_) {
    if (records.empty()) by_key_.erase(record.key);
    return false;
  }
  records.push_back(incoming);
  ++size_;
  return true;
}

bool RecordStore::put_signed(const Record& record, std::uint64_t sequence, TimePoint now) {
  const auto ttl = std::min<milliseconds>(seconds(record.ttl_seconds), max_signed_ttl_);
  const Stored incoming{record, now + ttl, now, sequence};
  auto& records = by_key_[record.key];
  auto held = std::find_if(records.begin(), records.end(), [](const Stored& s) { return s.sequence.has_value(); });
  if (held != records.end() && held->expires_at > now) {
    if (sequence < *held->sequence) return false;  // a rollback
    if (sequence == *held->sequence && incoming.expires_at < held->expires_at) {
      held->received_at = now;
      return true;
    }
    *held = incoming;
    return true;
  }
  if (held != records.end()) {
    *held = incoming;  // an expired copy never blocks a new one
    return true;
  }
  if (records.size() >= kMaxRecordsPerKey) {
    // The writer's key is its own: plain records under it are junk.
    auto soonest = std::min_element(records.begin(), records.end(),
                                    [](const Stored& a, const Stored& b) { return a.expires_at < b.expires_at; });
    *soonest = incoming;
    return true;
  }
  if (size_ >= max_records_) {
    if (records.empty()) by_key_.erase(record.key);
    return false;
  }
  records.push_back(incoming);
  ++size_;
  return true;
}

std::vector<Record> RecordStore::get(const NodeId& key, TimePoint now) const {
  std::vector<Record> out;
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return out;
  for (const Stored& s : it->second) {
    if (s.expires_at <= now) continue;
    Record r = s.record;
    r.ttl_seconds = remaining_ttl_seconds(s.expires_at, now);
    out.push_back(std::move(r));
  }
  return out;
}

std::size_t RecordStore::expire(TimePoint now) {
  std::size_t dropped = 0;
  for (auto it = by_key_.begin(); it != by_key_.end();) {
    auto& records = it->second;
    const auto before = records.size();
    records.erase(std::remove_if(records.begin(), records.end(), [now](const Stored& s) { return s.expires_at <= now; }),
                  records.end());
    dropped += before - records.size();
    it = records.empty() ? by_key_.erase(it) : std::next(it);
  }
  size_ -= dropped;
  return dropped;
}

std::vector<Record> RecordStore::take_due_for_replication(TimePoint now, milliseconds interval) {
  std::vector<Record> out;
  for (auto& [key, records] : by_key_) {
    for (Stored& s : records) {
      if (s.expires_at <= now || now - s.received_at < interval) continue;
      s.received_at = now;
      Record r = s.record;
      r.ttl_seconds = remaining_ttl_seconds(s.expires_at, now);
      out.push_back(std::move(r));
    }
  }
  return out;
}

}  // namespace dfs::dht
