#include "dfs/store/verified_files.hpp"

namespace dfs::store {

FileStamp FileStamp::of(const struct stat& st) {
  constexpr std::int64_t kNanos = 1'000'000'000;
  return FileStamp{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
                   static_cast<std::int64_t>(st.st_size),
                   static_cast<std::int64_t>(st.st_mtim.tv_sec) * kNanos + st.st_mtim.tv_nsec,
                   static_cast<std::int64_t>(st.st_ctim.tv_sec) * kNanos + st.st_ctim.tv_nsec};
}

void VerifiedFiles::remember(const ChunkId& id, const FileStamp& stamp) {
  if (capacity_ == 0) return;
  std::lock_guard lock(mutex_);
  const std::uint64_t serial = next_serial_++;
  entries_.insert_or_assign(id, Entry{stamp, serial});
  order_.push_back(Remembered{id, serial});
  while (entries_.size() > capacity_) evict_oldest();
  // Stale entries pile up when IDs are forgotten or remembered again;
  // dropping them once they outnumber the live ones keeps order_ within
  // twice the capacity, at a cost spread over as many calls.
  if (order_.size() > 2 * capacity_) drop_stale_order();
}

void VerifiedFiles::evict_oldest() {
  const Remembered oldest = order_.front();
  order_.pop_front();
  auto it = entries_.find(oldest.id);
  if (it != entries_.end() && it->second.serial == oldest.serial) entries_.erase(it);
}

void VerifiedFiles::drop_stale_order() {
  std::erase_if(order_, [this](const Remembered& r) {
    auto it = entries_.find(r.id);
    return it == entries_.end() || it->second.serial != r.serial;
  });
}

bool VerifiedFiles::unchanged_since_verified(const ChunkId& id, const FileStamp& stamp) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(id);
  return it != entries_.end() && it->second.stamp == stamp;
}

void VerifiedFiles::forget(const ChunkId& id) {
  std::lock_guard lock(mutex_);
  entries_.erase(id);
}

}  // namespace dfs::store
