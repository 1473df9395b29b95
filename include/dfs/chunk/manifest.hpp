// The manifest: which chunks make up one version of a file (DESIGN.md §2).
//
// Every data chunk is sealed with a random key of its own, which only the
// manifest lists; the manifest is sealed with a key fresh for each version
// (seal_manifest makes it) and stored as a chunk of kind `manifest`. The
// File ID carries that manifest key, so an ID opens its version and no
// other: a later version's manifest and new chunks have keys the old ID
// never saw, while an edit copies the entries (ID and key) of the chunks
// it did not touch.
//
// Large manifests chain: the entries are split into segments, each a chunk;
// the head segment carries the file's size and chunk size and every segment
// but the last names the next one. Plaintext of a segment (format 2):
//
//     version u8 = 2 | kind u8 (0 head, 1 continuation)
//     head only: file_size u64 | chunk_size u32 | total_chunks u64
//     entry_count u32 | entry_count × entry
//     has_next u8 (0|1) | next segment's chunk ID (32 bytes, if has_next)
//
//     entry = 0 u8 | chunk_id (32) | plain_size u32 | chunk key (32)
//           | 1 u8 | count u64 (≥ 1)   a run of holes: chunks never stored,
//                                       which read as zeros
//
// Format 1 (read, never written): version 1, entries `chunk_id | plain_size`
// and no holes; every chunk is sealed with the manifest's own key (the
// file's key for good, in the builds that wrote it).
//
// All integers little-endian. Every chunk but the last holds exactly
// chunk_size plaintext bytes, so byte offsets map to chunks by division; a
// hole run covers whole chunks, so a sparse terabyte costs one entry.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "dfs/chunk/sealed_chunk.hpp"

namespace dfs {

inline constexpr std::uint8_t kManifestFormatVersion = 2;
inline constexpr std::uint8_t kManifestFormatV1 = 1;  // read only
// Entries per segment written by default (~1.1 MiB of plaintext); the
// decoder accepts up to the hard limit.
inline constexpr std::uint32_t kDefaultManifestEntriesPerSegment = 16384;
inline constexpr std::uint32_t kMaxManifestEntriesPerSegment = 32768;

// A stored chunk: what names it and what opens it.
struct ChunkRef {
  ChunkId id;
  std::uint32_t plain_size = 0;
  crypto::SecretKey key = crypto::SecretKey::from_bytes({});
  bool operator==(const ChunkRef&) const = default;
};

// One manifest entry: a stored chunk, or a run of `holes` chunks (> 0)
// that were never stored and read as zeros.
struct ManifestEntry {
  std::uint64_t holes = 0;
  ChunkRef chunk;  // unused in a hole run

  static ManifestEntry hole_run(std::uint64_t count) { return ManifestEntry{count, {}}; }
  bool is_hole() const { return holes != 0; }
  std::uint64_t span() const { return holes != 0 ? holes : 1; }  // chunks covered
  bool operator==(const ManifestEntry&) const = default;
};

class Manifest {
 public:
  std::uint64_t file_size = 0;
  std::uint32_t chunk_size = kDefaultChunkSize;

  // Append the next chunk of the file, or a run of holes (merged into a
  // run just before it; a count of 0 adds nothing).
  void add_chunk(const ChunkRef& ref);
  void add_holes(std::uint64_t count);
  // Keeps the first `count` chunks (a truncation), splitting a hole run.
  void keep_chunks(std::uint64_t count);
  // Makes chunks [first, end) holes (a punched hole; `end` is clamped to
  // chunk_count()), merging with the runs around them. O(entries).
  void punch(std::uint64_t first, std::uint64_t end);

  // Chunks the file spans, stored or holes.
  std::uint64_t chunk_count() const { return chunk_count_; }
  // Chunk `index`: its entry, or nullptr for a hole or past the end.
  // O(1) without holes, O(log entries) with them.
  const ChunkRef* chunk(std::uint64_t index) const;
  // The first stored chunk at or after `index`, or chunk_count() if none:
  // how a walk over a sparse file skips its holes. O(log entries).
  std::uint64_t next_stored(std::uint64_t index) const;
  // The plaintext length chunk `index` has by the file's size (a hole's
  // length, for a reader that fills zeros).
  std::uint32_t length_of(std::uint64_t index) const;
  const std::vector<ManifestEntry>& entries() const { return entries_; }
  // The plaintext bytes of the stored chunks (holes not counted).
  std::uint64_t stored_bytes() const;
  // The stored chunks' IDs in file order (a chunk used twice, twice).
  std::vector<ChunkId> stored_ids() const;

  bool operator==(const Manifest& other) const {
    return file_size == other.file_size && chunk_size == other.chunk_size && entries_ == other.entries_;
  }

  // Checks the invariants above (the entries cover the file's chunks, each
  // stored chunk holds its share of the size, chunk_size in range).
  Status validate() const;

 private:
  std::vector<ManifestEntry> entries_;
  std::vector<std::uint64_t> first_index_;  // of each entry: sorted, for lookups past a hole
  std::uint64_t chunk_count_ = 0;
  bool has_holes_ = false;
};

// One decoded segment, as read from the store before the next is fetched.
// A format-1 segment decodes with all-zero chunk keys (load_manifest puts
// the manifest key in); encode writes `version` back, so that decoding is
// canonical for both formats (a format-1 segment cannot hold holes).
struct ManifestSegment {
  std::uint8_t version = kManifestFormatVersion;
  bool is_head = false;
  std::uint64_t file_size = 0;      // head only
  std::uint32_t chunk_size = 0;     // head only
  std::uint64_t total_chunks = 0;   // head only
  std::vector<ManifestEntry> entries;
  std::optional<ChunkId> next;
};

Bytes encode_manifest_segment(const ManifestSegment& segment);
// Bounded decoder for one segment's plaintext: rejects truncated input,
// unknown versions, oversized counts, empty hole runs and trailing bytes.
Result<ManifestSegment> decode_manifest_segment(ByteView plaintext);

// A sealed version: its segments (head first; all must be stored), the
// head's ID and the fresh key they are sealed with: the two halves of the
// version's File ID.
struct SealedManifest {
  ChunkId head;
  crypto::SecretKey key = crypto::SecretKey::from_bytes({});
  std::vector<SealedChunk> segments;
};

// Validates, splits and seals a manifest under a new random key.
// `entries_per_segment` is a knob for tests of chaining.
Result<SealedManifest> seal_manifest(const Manifest& manifest,
                                     std::uint32_t entries_per_segment = kDefaultManifestEntriesPerSegment);

// Fetches sealed chunk bytes by ID (from a store, a peer...).
using ChunkFetcher = std::function<Result<Bytes>(const ChunkId&)>;

// Follows the chain from `head`, verifying and decrypting each segment, and
// returns the validated manifest. The head's total_chunks bounds the chain,
// so a cycle or an overlong chain is reported as corrupt, not followed.
// Reads both formats; a format-1 manifest's entries get `key` as theirs.
Result<Manifest> load_manifest(const crypto::SecretKey& key, const ChunkId& head, const ChunkFetcher& fetch);

// Seals one data chunk under a fresh key of its own: the bytes to store,
// and the entry that names and opens them.
struct SealedData {
  SealedChunk sealed;
  ChunkRef ref;
};
SealedData seal_data_chunk(ByteView plaintext);

// Decrypts a data chunk fetched for `ref` (already verified against its ID
// by the store or the network) and checks its length against the entry.
Result<Bytes> open_data_chunk(const ChunkRef& ref, ByteView sealed);
// Its length check alone, for a reader that decrypts into a buffer of its
// own (decrypt_chunk_into): Errc::corrupt unless `opened` plaintext bytes
// are what the entry says.
Status check_plain_size(const ChunkRef& ref, std::size_t opened);

}  // namespace dfs
