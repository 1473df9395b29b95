// VerifiedFiles: the chunk files a DiskChunkStore has hashed (or written
// from bytes it had hashed) and what their inodes looked like then, so
// that serving a chunk to a peer need not hash it again while the file
// is unchanged. Why that is sound is explained in disk_chunk_store.cpp
// (DiskChunkStore::get_for_peer).
//
// Bounded: it remembers at most `capacity` chunks, forgetting the oldest
// first; a chunk it forgot is simply hashed again on its next serve.
// Thread-safe.
//
// A store keeps what it knows across restarts (encode at close, restore at
// open: DiskChunkStore's `verified` file), so that reading back chunks a
// peer wrote before a remount does not hash them again. Sound for the same
// reason as within one run: an entry only vouches for a file whose stamp
// is unchanged, and any write since gave the file a new ctime.
#pragma once

#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <unordered_map>

#include "dfs/chunk/chunk_id.hpp"

namespace dfs::store {

// What identifies one version of a file: any write to it through the
// filesystem changes mtime and ctime, and nothing can set ctime back.
struct FileStamp {
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
  std::int64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::int64_t ctime_ns = 0;

  static FileStamp of(const struct stat& st);
  bool operator==(const FileStamp&) const = default;
};

class VerifiedFiles {
 public:
  static constexpr std::size_t kDefaultCapacity = 1 << 16;  // about 6 MiB

  explicit VerifiedFiles(std::size_t capacity = kDefaultCapacity) : capacity_(capacity) {}

  // The file of chunk `id`, as `stamp` describes it, holds bytes that hash to `id`.
  void remember(const ChunkId& id, const FileStamp& stamp);
  // Whether the file of `id` was remembered with exactly this stamp.
  bool unchanged_since_verified(const ChunkId& id, const FileStamp& stamp) const;
  void forget(const ChunkId& id);

  // The entries, oldest first: version(1) | count(u64) | count x (ID(32) |
  // dev | ino | size | mtime_ns | ctime_ns, each u64) | SHA-256 of all
  // that precedes it. Little-endian.
  Bytes encode() const;
  // Remembers the entries of `encoded` (as encode() wrote them; past the
  // capacity the oldest go first). An input that is not exactly one whole
  // encoding of this version, checksum included, remembers nothing and
  // fails (Errc::bad_version, Errc::truncated or Errc::corrupt).
  Status restore(ByteView encoded);

 private:
  struct Entry {
    FileStamp stamp;
    std::uint64_t serial = 0;  // when it was remembered
  };
  struct Remembered {
    ChunkId id;
    std::uint64_t serial = 0;
  };
  void remember_locked(const ChunkId& id, const FileStamp& stamp);
  void evict_oldest();
  void drop_stale_order();

  const std::size_t capacity_;
  mutable std::mutex mutex_;  // guards everything below
  std::unordered_map<ChunkId, Entry> entries_;
  // Oldest first. An entry whose serial no longer matches entries_ (the
  // ID was forgotten, or remembered again later) names nothing.
  std::deque<Remembered> order_;
  std::uint64_t next_serial_ = 0;
};

}  // namespace dfs::store
