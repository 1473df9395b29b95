#include "dfs/replicate/repair_health.hpp"

#include <algorithm>

namespace dfs::replicate {

namespace {
constexpr std::chrono::minutes kRateWindow{1};
}  // namespace

void RepairHealth::checked(const ChunkId& id, std::uint32_t missing, TimePoint now) {
  std::lock_guard lock(mu_);
  if (missing == 0) {
    short_.erase(id);
    return;
  }
  auto [it, fresh] = short_.try_emplace(id, Short{now, missing});
  if (!fresh) it->second.missing = missing;  // short since it was first found so
}

void RepairHealth::retain(const std::vector<ChunkId>& held) {
  std::lock_guard lock(mu_);
  std::erase_if(short_, [&](const auto& entry) { return !std::binary_search(held.begin(), held.end(), entry.first); });
}

void RepairHealth::copied(TimePoint now) {
  std::lock_guard lock(mu_);
  recent_copies_.push_back(now);
  drop_old_copies(now);
}

void RepairHealth::round_finished() {
  std::lock_guard lock(mu_);
  ++rounds_;
}

void RepairHealth::drop_old_copies(TimePoint now) const {
  while (!recent_copies_.empty() && now - recent_copies_.front() > kRateWindow) recent_copies_.pop_front();
}

HealthSnapshot RepairHealth::snapshot(TimePoint now) const {
  std::lock_guard lock(mu_);
  drop_old_copies(now);
  HealthSnapshot s;
  s.rounds = rounds_;
  s.under_replicated = short_.size();
  TimePoint oldest = now;
  for (const auto& [id, entry] : short_) {
    s.copies_missing += entry.missing;
    oldest = std::min(oldest, entry.since);
  }
  s.oldest = std::chrono::duration_cast<std::chrono::seconds>(now - oldest);
  s.copies_last_minute = recent_copies_.size();
  return s;
}

}  // namespace dfs::replicate
