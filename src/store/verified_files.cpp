#include "dfs/store/verified_files.hpp"

#include <algorithm>

namespace dfs::store {

namespace {

constexpr std::uint8_t kFormatVersion = 1;
constexpr std::size_t kEntrySize = sizeof(ChunkId::bytes) + 5 * sizeof(std::uint64_t);
constexpr std::size_t kHeaderSize = 1 + sizeof(std::uint64_t);
constexpr std::size_t kChecksumSize = sizeof(crypto::Digest);

}  // namespace

FileStamp FileStamp::of(const struct stat& st) {
  constexpr std::int64_t kNanos = 1'000'000'000;
  return FileStamp{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
                   static_cast<std::int64_t>(st.st_size),
                   static_cast<std::int64_t>(st.st_mtim.tv_sec) * kNanos + st.st_mtim.tv_nsec,
                   static_cast<std::int64_t>(st.st_ctim.tv_sec) * kNanos + st.st_ctim.tv_nsec};
}

void VerifiedFiles::remember(const ChunkId& id, const FileStamp& stamp) {
  std::lock_guard lock(mutex_);
  remember_locked(id, stamp);
}

void VerifiedFiles::remember_locked(const ChunkId& id, const FileStamp& stamp) {
  if (capacity_ == 0) return;
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

Bytes VerifiedFiles::encode() const {
  std::lock_guard lock(mutex_);
  Bytes out;
  out.reserve(kHeaderSize + entries_.size() * kEntrySize + kChecksumSize);
  ByteWriter w(out);
  w.u8(kFormatVersion);
  w.u64(entries_.size());
  for (const Remembered& r : order_) {
    auto it = entries_.find(r.id);
    if (it == entries_.end() || it->second.serial != r.serial) continue;  // stale
    const FileStamp& s = it->second.stamp;
    w.bytes(r.id.bytes);
    w.u64(s.dev);
    w.u64(s.ino);
    w.u64(static_cast<std::uint64_t>(s.size));
    w.u64(static_cast<std::uint64_t>(s.mtime_ns));
    w.u64(static_cast<std::uint64_t>(s.ctime_ns));
  }
  w.bytes(crypto::sha256(out));
  return out;
}

Status VerifiedFiles::restore(ByteView encoded) {
  ByteReader r(encoded);
  DFS_ASSIGN_OR_RETURN(const std::uint8_t version, r.u8("verified files: version"));
  if (version != kFormatVersion) {
    return make_error(Errc::bad_version, "verified files: format version " + std::to_string(version) +
                                             ", this build reads version " + std::to_string(kFormatVersion));
  }
  DFS_ASSIGN_OR_RETURN(const std::uint64_t count, r.u64("verified files: count"));
  // Checked before anything is read or allocated: count cannot overflow
  // the product since it must fit in what remains.
  if (r.remaining() < kChecksumSize || count > (r.remaining() - kChecksumSize) / kEntrySize ||
      count * kEntrySize + kChecksumSize != r.remaining()) {
    return make_error(Errc::truncated, "verified files: " + std::to_string(count) + " entries do not fit " +
                                           std::to_string(encoded.size()) + " bytes");
  }
  const ByteView body = encoded.first(encoded.size() - kChecksumSize);
  const crypto::Digest sum = crypto::sha256(body);
  if (!std::equal(sum.begin(), sum.end(), encoded.end() - static_cast<std::ptrdiff_t>(kChecksumSize))) {
    return make_error(Errc::corrupt, "verified files: checksum mismatch");
  }
  std::lock_guard lock(mutex_);
  for (std::uint64_t i = 0; i < count; ++i) {
    ChunkId id;
    DFS_ASSIGN_OR_RETURN(id.bytes, r.array<sizeof(ChunkId::bytes)>("verified files: ID"));
    std::uint64_t v[5];
    for (std::uint64_t& field : v) {
      DFS_ASSIGN_OR_RETURN(field, r.u64("verified files: stamp"));
    }
    remember_locked(id, FileStamp{v[0], v[1], static_cast<std::int64_t>(v[2]), static_cast<std::int64_t>(v[3]),
                                  static_cast<std::int64_t>(v[4])});
  }
  return {};
}

}  // namespace dfs::store
