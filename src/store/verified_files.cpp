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
  const bool inserted = stamps_.insert_or_assign(id, stamp).second;
  if (!inserted) return;  // already in order_
  order_.push_back(id);
  // order_ also bounds itself: IDs forgotten (and maybe remembered again)
  // leave entries behind; dropping one of those early only costs a hash.
  while (stamps_.size() > capacity_ || order_.size() > 2 * capacity_) {
    stamps_.erase(order_.front());
    order_.pop_front();
  }
}

bool VerifiedFiles::unchanged_since_verified(const ChunkId& id, const FileStamp& stamp) const {
  std::lock_guard lock(mutex_);
  auto it = stamps_.find(id);
  return it != stamps_.end() && it->second == stamp;
}

void VerifiedFiles::forget(const ChunkId& id) {
  std::lock_guard lock(mutex_);
  stamps_.erase(id);
}

}  // namespace dfs::store
