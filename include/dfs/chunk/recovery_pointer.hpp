// The recovery pointer (issue 15): what a namespace's signed DHT record
// (dht/signed_record.hpp) carries, sealed under the recovery key's
// pointer_key() so that storage peers learn only its size.
//
// It names the latest snapshots of the namespace's root directory, newest
// first: the latest, then a thinned history of older ones, about one per
// fourfold step of age (under a minute, 1-4 min, 4-16 min, … up to ~45
// days), at most kMaxPointerSnapshots, so `dfs recover --at TIME` can pick
// an older tree while the record stays within the DHT's value limit.
//
// Plaintext:  version (1) | count (1) | count × (kind (1) | manifest ID (32) |
//             manifest key (32) | taken_at (8) | files (8) | bytes (8))
// Sealed:     the chunk envelope (sealed_chunk.hpp) with ChunkKind::pointer.
#pragma once

#include <cstdint>
#include <vector>

#include "dfs/chunk/file_id.hpp"

namespace dfs {

inline constexpr std::uint8_t kPointerFormatVersion = 1;
inline constexpr std::size_t kMaxPointerSnapshots = 9;

struct SnapshotRef {
  FileId root;                 // a directory ID
  std::int64_t taken_at = 0;   // Unix seconds
  std::uint64_t files = 0;     // entries in the tree (files, dirs, links, …)
  std::uint64_t bytes = 0;     // sum of file sizes
  bool operator==(const SnapshotRef&) const = default;
};

struct RecoveryPointer {
  std::vector<SnapshotRef> snapshots;  // newest first; 1..kMaxPointerSnapshots
};

Bytes encode_pointer(const RecoveryPointer& pointer);
// Bounded: Errc::truncated / bad_version / corrupt / too_large.
Result<RecoveryPointer> decode_pointer(ByteView plaintext);

Bytes seal_pointer(const crypto::SecretKey& key, const RecoveryPointer& pointer);
// Errc::corrupt when `key` is not the one it was sealed with.
Result<RecoveryPointer> open_pointer(const crypto::SecretKey& key, ByteView sealed);

// `history` (newest first) with `latest` in front, thinned as described
// above (ages measured from latest.taken_at).
RecoveryPointer add_snapshot(const RecoveryPointer& history, const SnapshotRef& latest);

}  // namespace dfs
