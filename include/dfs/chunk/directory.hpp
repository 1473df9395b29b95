// A directory snapshot: one version of a directory's entries, so a whole
// tree is shared by one ID (DESIGN.md §2). Files are named by their File
// IDs and subdirectories by their own directory IDs, so a snapshot is a
// Merkle tree of capabilities: the root ID opens everything below it and
// nothing else.
//
// Sealed like a file manifest, but as chunk kind `directory` under a key
// fresh for each snapshot, and chained when large. Plaintext of a segment:
//
//     version u8 = 1 | kind u8 (0 head, 1 continuation)
//     head only: total_entries u64
//     entry_count u32 | entry_count × entry
//     has_next u8 (0|1) | next segment's chunk ID (32 bytes, if has_next)
//
//     entry = name_length u8 | name | type u8 | mode u32
//             | mtime_seconds i64 (as u64) | mtime_nanoseconds u32 | size u64
//             | file, directory: manifest ID (32) | manifest key (32)
//             | symlink: target_length u32 | target
//             | fifo, socket, devices: nothing (type and mode only)
//
// Names are single path components (1-255 bytes, no '/' or NUL, not "." or
// ".."), in strictly increasing byte order across the whole chain: no
// duplicates, a canonical order, and a reader that extracts a tree can
// never be led outside it. `size` is a file's length, a symlink target's
// length, and for a directory the total size of the files beneath it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dfs/chunk/file_id.hpp"
#include "dfs/chunk/manifest.hpp"

namespace dfs {

inline constexpr std::uint8_t kDirectoryFormatVersion = 1;
inline constexpr std::size_t kMaxEntryNameLength = 255;
inline constexpr std::size_t kMaxSymlinkTargetLength = 4095;
// Entries in one snapshot (a bound on the memory a hostile one costs).
inline constexpr std::uint64_t kMaxDirectoryEntries = 1u << 22;
// Bytes of plaintext per segment written by default; any segment a peer
// hands us is bounded by the sealed chunk limit.
inline constexpr std::size_t kDefaultDirectorySegmentBytes = 256 * 1024;

enum class EntryType : std::uint8_t {
  file = 1,
  directory = 2,
  symlink = 3,
  fifo = 4,
  socket = 5,
  char_device = 6,
  block_device = 7,
};

struct DirEntry {
  std::string name;
  EntryType type = EntryType::file;
  std::uint32_t mode = 0;  // permission bits, at most 07777
  std::int64_t mtime_seconds = 0;
  std::uint32_t mtime_nanoseconds = 0;  // < 10^9
  std::uint64_t size = 0;
  // A file's File ID or a directory's directory ID (kind set accordingly).
  std::optional<FileId> id;
  std::string target;  // a symlink's

  bool operator==(const DirEntry&) const = default;
};

struct Directory {
  std::vector<DirEntry> entries;  // sorted by name, unique
  bool operator==(const Directory&) const = default;

  // Checks every entry and the order rule above.
  Status validate() const;
  const DirEntry* find(std::string_view name) const;  // binary search
};

// One of the rules above for a name alone: what put -r and get check too.
Status check_entry_name(std::string_view name);

struct DirectorySegment {
  bool is_head = false;
  std::uint64_t total_entries = 0;  // head only
  std::vector<DirEntry> entries;
  std::optional<ChunkId> next;
};

Bytes encode_directory_segment(const DirectorySegment& segment);
// Bounded decoder for one segment's plaintext: rejects truncated input,
// unknown versions and types, bad names, out-of-order names within the
// segment, oversized counts and lengths, and trailing bytes.
Result<DirectorySegment> decode_directory_segment(ByteView plaintext);

// Validates, splits (about `segment_bytes` of plaintext each) and seals
// under a fresh key; `head` and `key` make the directory ID.
Result<SealedManifest> seal_directory(const Directory& directory,
                                      std::size_t segment_bytes = kDefaultDirectorySegmentBytes);

// Follows the chain from `head` (verifying, decrypting and decoding each
// segment) and returns the validated snapshot. The order rule and the
// head's count bound the chain.
Result<Directory> load_directory(const crypto::SecretKey& key, const ChunkId& head, const ChunkFetcher& fetch);

}  // namespace dfs
