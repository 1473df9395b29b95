// A directory snapshot: one version of a directory's entries, so a whole
// tree is shared by one ID (DESIGN.md §2). Files are named by their File
// IDs and subdirectories by their own directory IDs, so a snapshot is a
// Merkle tree of capabilities: the root ID opens everything below it and
// nothing else.
//
// Sealed like a file manifest, but as chunk kind `directory` under a key
// fresh for each snapshot, and chained when large. Plaintext of a segment:
//
//     version u8 (1 or 2) | kind u8 (0 head, 1 continuation)
//     head only: total_entries u64
//     entry_count u32 | entry_count × entry
//     has_next u8 (0|1) | next segment's chunk ID (32 bytes, if has_next)
//
//     entry = name_length u8 | name | type u8 | mode u32
//             | mtime_seconds i64 (as u64) | mtime_nanoseconds u32 | size u64
//             | file, directory: manifest ID (32) | manifest key (32)
//             | symlink: target_length u32 | target
//             | fifo, socket, devices: nothing (type and mode only)
//             | version 2 only: metadata
//
//     metadata = flags u8 (bits: 1 owner, 2 atime, 4 rdev, 8 link,
//                16 xattrs; no other bit) and, in that order, each field
//                whose bit is set:
//                owner: uid u32 | gid u32
//                atime: seconds i64 (as u64) | nanoseconds u32
//                rdev u64 (character and block devices only)
//                link u64 (files only, non-zero): entries of one snapshot
//                  tree with the same link number are one inode (hard links)
//                xattrs: count u32 (1..kMaxEntryXattrs) | count ×
//                  (name_length u8 | name | value_length u32 | value),
//                  names strictly increasing, values of kMaxXattrValue
//                  bytes at most, kMaxEntryXattrBytes in all
//
// The metadata is optional: what a namespace snapshot (the owner's own
// backup, issue 15) restores beyond what a shared tree shows. A segment is
// written as version 1 when none of its entries carries any, so shared
// trees read as before, and as version 2 otherwise; a version 2 segment in
// which no entry carries metadata is not canonical and is refused.
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

inline constexpr std::uint8_t kDirectoryFormatVersion = 1;          // entries without metadata
inline constexpr std::uint8_t kDirectoryFormatWithMetadata = 2;     // entries with a metadata block
inline constexpr std::size_t kMaxEntryNameLength = 255;
inline constexpr std::size_t kMaxSymlinkTargetLength = 4095;
// Entries in one snapshot (a bound on the memory a hostile one costs).
inline constexpr std::uint64_t kMaxDirectoryEntries = 1u << 22;
// Bytes of plaintext per segment written by default; any segment a peer
// hands us is bounded by the sealed chunk limit.
inline constexpr std::size_t kDefaultDirectorySegmentBytes = 256 * 1024;
// Extended attributes of one entry: how many, one value, all of them.
inline constexpr std::size_t kMaxEntryXattrs = 1024;
inline constexpr std::size_t kMaxXattrValue = 64 * 1024;
inline constexpr std::size_t kMaxEntryXattrBytes = 1024 * 1024;

enum class EntryType : std::uint8_t {
  file = 1,
  directory = 2,
  symlink = 3,
  fifo = 4,
  socket = 5,
  char_device = 6,
  block_device = 7,
};

struct EntryOwner {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  bool operator==(const EntryOwner&) const = default;
};

struct EntryTime {
  std::int64_t seconds = 0;
  std::uint32_t nanoseconds = 0;  // < 10^9
  bool operator==(const EntryTime&) const = default;
};

struct EntryXattr {
  std::string name;  // 1-255 bytes, no NUL (the full name, "user.x")
  Bytes value;
  bool operator==(const EntryXattr&) const = default;
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

  // Optional metadata (format version 2; see above).
  std::optional<EntryOwner> owner;
  std::optional<EntryTime> atime;
  std::optional<std::uint64_t> rdev;  // character and block devices
  std::optional<std::uint64_t> link;  // files; non-zero
  std::vector<EntryXattr> xattrs;     // sorted by name, unique

  bool has_metadata() const { return owner || atime || rdev || link || !xattrs.empty(); }
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
