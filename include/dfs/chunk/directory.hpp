// A directory snapshot: one version of a directory's entries, so a whole
// tree is shared by one ID (DESIGN.md §2). Files are named by their File
// IDs and subdirectories by their own directory IDs, so a snapshot is a
// Merkle tree of capabilities: the root ID opens everything below it and
// nothing else.
//
// Sealed like a file manifest, but as chunk kind `directory` under a key
// fresh for each snapshot, and chained when large. Plaintext of a segment:
//
//     version u8 (1 to 5) | kind u8 (0 head, 1 continuation)
//     head only: total_entries u64
//     version 4 (a head only): self
//     version 5 (a head only): inline_length u32 (1..kMaxPackBytes)
//                              | inline_length bytes (the inline pack)
//     entry_count u32 | entry_count × entry
//     has_next u8 (0|1) | next segment's chunk ID (32 bytes, if has_next)
//
//     entry = name_length u8 | name | type u8 | mode u32
//             | mtime_seconds i64 (as u64) | mtime_nanoseconds u32 | size u64
//             | file, versions 1 and 2: manifest ID (32) | manifest key (32)
//             | file, versions 3 and 4: form u8, then
//                 form 0: manifest ID (32) | manifest key (32)
//                 form 1 (packed): pack chunk ID (32) | pack key (32)
//                   | offset u32; the file is the `size` bytes at
//                   `offset` of the pack's plaintext (size >= 1,
//                   offset + size <= kMaxPackBytes)
//                 form 2 (inline, version 5 only): offset u32; the file
//                   is the `size` bytes at `offset` of this head's inline
//                   pack (size >= 1, offset + size <= inline_length)
//             | directory: manifest ID (32) | manifest key (32)
//             | symlink: target_length u32 | target
//             | fifo, socket, devices: nothing (type and mode only)
//             | versions 2 to 4: metadata
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
//     self = mode u32 | mtime_seconds i64 (as u64) | mtime_nanoseconds u32
//            | metadata (flags exactly owner and atime, and xattrs if any)
//
// The self block (version 4) is the directory's own attributes, which no
// parent's entry holds for the top of a tree: a namespace snapshot (issue
// 15) carries its root's, so a recovery restores the mount root's mode,
// owner, times and xattrs too. Entries of a version 4 head are encoded as
// in version 3. Snapshots written before it (no self) still load: their
// root keeps the mount's own attributes.
//
// Packs (version 3, `dfs put -r`): a directory's small files are stored
// together, their contents end to end in pack chunks of up to
// kMaxPackBytes, each sealed like any data chunk (kind data, a fresh
// random key of its own, addressed by the SHA-256 of its sealed bytes), so
// a tree of many small files costs a chunk per megabyte, not a data chunk
// and a manifest per file. A pack holds files of ONE directory only: every
// subdirectory's ID is a capability of its own, and a pack shared with a
// sibling would hand its key (so the sibling's files) to whoever holds the
// subdirectory's ID. A packed file has no File ID of its own: readers take
// its bytes out of the pack (open_pack, packed_bytes), and the mount
// places it as an ordinary file written through the filesystem.
//
// Inline packs (version 5, `dfs put -r` since December 2026): the files of
// a directory whose small files come to fewer than kInlinePackBelow bytes
// lie in the snapshot's head segment itself, sealed with it under the
// directory's key, instead of in a pack chunk of their own: one chunk per
// such directory, not two (most directories of a source tree). They are
// as private as a pack: the head opens only with this directory's ID (or
// an ancestor's), never with a subdirectory's. A loaded inline entry's
// PackedRef names the head segment and the directory's key as its pack
// and carries the inline bytes, so readers take them without a fetch
// (read_pack, FsImpl::fetch_pack).
//
// The metadata is optional: what a namespace snapshot (the owner's own
// backup, issue 15) restores beyond what a shared tree shows. A segment is
// written as version 1 when none of its entries carries any (and none is
// packed), so shared trees read as before, as version 2 when some carry
// metadata, as version 3 when some file is packed, as version 4 when it is
// a head with a self block, and as version 5 when it is a head with an
// inline pack (never with a self block too); a version 2 segment in which
// no entry carries metadata, a version 3 one in which no file is packed, a
// version 4 one without a self block, or a version 5 one in which no file
// is inline, is not canonical and is refused.
//
// Names are single path components (1-255 bytes, no '/' or NUL, not "." or
// ".."), in strictly increasing byte order across the whole chain: no
// duplicates, a canonical order, and a reader that extracts a tree can
// never be led outside it. `size` is a file's length, a symlink target's
// length, and for a directory the total size of the files beneath it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dfs/chunk/file_id.hpp"
#include "dfs/chunk/manifest.hpp"

namespace dfs {

inline constexpr std::uint8_t kDirectoryFormatVersion = 1;          // entries without metadata
inline constexpr std::uint8_t kDirectoryFormatWithMetadata = 2;     // entries with a metadata block
inline constexpr std::uint8_t kDirectoryFormatWithPacks = 3;        // metadata block, and files may be packed
inline constexpr std::uint8_t kDirectoryFormatWithSelf = 4;         // as 3, and a head with the directory's own attributes
inline constexpr std::uint8_t kDirectoryFormatWithInlinePack = 5;   // as 3, and a head holding its small files' bytes
// Plaintext bytes of one pack chunk at most (what a packed entry may reach).
inline constexpr std::uint32_t kMaxPackBytes = 1u << 20;
// `dfs put -r` packs the files of fewer bytes than this (and more than 0,
// with one link), chosen by bench/tree.sh (README): below it a file's own
// data chunk and manifest cost more than its bytes; above it a file fills
// a quarter of a pack and packing saves little.
inline constexpr std::uint32_t kPackFilesBelow = 256 * 1024;
// `dfs put -r` inlines a directory's last pack into its snapshot's head
// when the pack has fewer bytes than this and the directory at most
// kMaxInlinePackEntries entries. Inlining sends no byte more (they move
// from the pack into the head) and one chunk fewer, whose PUT, commit and
// bookkeeping on each of R receivers is what a tree put pays over a tar
// of it (bench/tree.sh, README); what it costs is a head that much larger
// for whoever only lists the directory (`dfs ls`, browsing on a mount), so
// no more than a quarter of a pack. (64 KiB until December 2026: 1,219 of
// /usr/include's 1,719 directories with small files, 1,533 now.)
inline constexpr std::uint32_t kInlinePackBelow = 256 * 1024;
inline constexpr std::size_t kMaxInlinePackEntries = 1024;
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

// An entry's type from a file's mode (its S_IFMT bits), and back: what a
// snapshot of a real directory tree or of the mount records, and what a
// restore or an extraction creates. nullopt: a type no entry can have.
std::optional<EntryType> entry_type_of_mode(std::uint32_t mode);
std::uint32_t mode_bits_of(EntryType type);

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

// Where a packed file's bytes are: the pack chunk, its key, and the offset
// of the file in its plaintext (the length is the entry's size). An
// inline file (version 5) has the bytes of its directory's inline pack in
// `inline_bytes` (shared by the directory's inline entries) and its offset
// in them; `pack` and `key` are then the head segment's ID and the
// directory's key once loaded (load_directory), unused when encoding.
struct PackedRef {
  ChunkId pack;
  crypto::SecretKey key = crypto::SecretKey::from_bytes({});
  std::uint32_t offset = 0;
  std::shared_ptr<const Bytes> inline_bytes;

  bool is_inline() const { return inline_bytes != nullptr; }
  bool operator==(const PackedRef& o) const {
    return pack == o.pack && key == o.key && offset == o.offset && is_inline() == o.is_inline() &&
           (!is_inline() || *inline_bytes == *o.inline_bytes);
  }
};

struct DirEntry {
  std::string name;
  EntryType type = EntryType::file;
  std::uint32_t mode = 0;  // permission bits, at most 07777
  std::int64_t mtime_seconds = 0;
  std::uint32_t mtime_nanoseconds = 0;  // < 10^9
  std::uint64_t size = 0;
  // A file's File ID or a directory's directory ID (kind set accordingly);
  // a packed file has `packed` instead.
  std::optional<FileId> id;
  std::optional<PackedRef> packed;
  std::string target;  // a symlink's

  // Optional metadata (format version 2; see above).
  std::optional<EntryOwner> owner;
  std::optional<EntryTime> atime;
  std::optional<std::uint64_t> rdev;  // character and block devices
  std::optional<std::uint64_t> link;  // files; non-zero
  std::vector<EntryXattr> xattrs;     // sorted by name, unique

  bool is_packed() const { return packed.has_value(); }
  bool has_metadata() const { return owner || atime || rdev || link || !xattrs.empty(); }
  bool operator==(const DirEntry&) const = default;
};

// A directory's own attributes (format version 4, see above).
struct DirSelf {
  std::uint32_t mode = 0;  // permission bits, at most 07777
  EntryTime mtime;
  EntryOwner owner;
  EntryTime atime;
  std::vector<EntryXattr> xattrs;  // sorted by name, unique
  bool operator==(const DirSelf&) const = default;
};

struct Directory {
  std::vector<DirEntry> entries;  // sorted by name, unique
  std::optional<DirSelf> self;    // a namespace snapshot's root only
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
  std::optional<DirSelf> self;      // head only
  std::vector<DirEntry> entries;
  std::optional<ChunkId> next;
};

Bytes encode_directory_segment(const DirectorySegment& segment);
// Bounded decoder for one segment's plaintext: rejects truncated input,
// unknown versions and types, bad names, out-of-order names within the
// segment, oversized counts and lengths, and trailing bytes.
Result<DirectorySegment> decode_directory_segment(ByteView plaintext);

// The bytes of an inline pack (chunk/directory.hpp, version 5) as
// read_pack would return a pack's plaintext; nullopt for a pack chunk.
std::optional<Bytes> inline_pack(const PackedRef& ref);

// A pack's plaintext out of its sealed bytes (already verified against
// `ref.pack` by the chunk source that served them): decrypted as a data
// chunk under `ref.key`; Errc::corrupt if it does not open or is empty or
// larger than kMaxPackBytes.
Result<Bytes> open_pack(const PackedRef& ref, ByteView sealed);
// The bytes of packed file `e` in its opened pack; Errc::corrupt if the
// entry reaches past the pack's end.
Result<ByteView> packed_bytes(const DirEntry& e, ByteView pack);

// Validates, splits (about `segment_bytes` of plaintext each) and seals
// under a fresh key; `head` and `key` make the directory ID.
Result<SealedManifest> seal_directory(const Directory& directory,
                                      std::size_t segment_bytes = kDefaultDirectorySegmentBytes);

// Follows the chain from `head` (verifying, decrypting and decoding each
// segment) and returns the validated snapshot. The order rule and the
// head's count bound the chain.
Result<Directory> load_directory(const crypto::SecretKey& key, const ChunkId& head, const ChunkFetcher& fetch);

}  // namespace dfs
