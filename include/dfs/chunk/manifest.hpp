// The manifest: which chunks make up a file (DESIGN.md §2).
//
// A manifest is sealed with the file's key and stored as a chunk of kind
// `manifest`. Large manifests chain: the entries are split into segments,
// each a chunk; the head segment carries the file's size and chunk size and
// every segment but the last names the next one. Plaintext of a segment:
//
//     version u8 = 1 | kind u8 (0 head, 1 continuation)
//     head only: file_size u64 | chunk_size u32 | total_chunks u64
//     entry_count u32 | entry_count × (chunk_id 32 bytes | plain_size u32)
//     has_next u8 (0|1) | next segment's chunk ID (32 bytes, if has_next)
//
// All integers little-endian. Every chunk but the last holds exactly
// chunk_size plaintext bytes, so byte offsets map to chunks by division.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "dfs/chunk/sealed_chunk.hpp"

namespace dfs {

inline constexpr std::uint8_t kManifestFormatVersion = 1;
// Entries per segment written by default (~576 KiB of plaintext); the
// decoder accepts up to the hard limit.
inline constexpr std::uint32_t kDefaultManifestEntriesPerSegment = 16384;
inline constexpr std::uint32_t kMaxManifestEntriesPerSegment = 32768;

struct ChunkRef {
  ChunkId id;
  std::uint32_t plain_size = 0;
  bool operator==(const ChunkRef&) const = default;
};

struct Manifest {
  std::uint64_t file_size = 0;
  std::uint32_t chunk_size = kDefaultChunkSize;
  std::vector<ChunkRef> chunks;
  bool operator==(const Manifest&) const = default;

  // Checks the invariants above (sizes add up, chunk_size in range).
  Status validate() const;
};

// One decoded segment, as read from the store before the next is fetched.
struct ManifestSegment {
  bool is_head = false;
  std::uint64_t file_size = 0;      // head only
  std::uint32_t chunk_size = 0;     // head only
  std::uint64_t total_chunks = 0;   // head only
  std::vector<ChunkRef> entries;
  std::optional<ChunkId> next;
};

Bytes encode_manifest_segment(const ManifestSegment& segment);
// Bounded decoder for one segment's plaintext: rejects truncated input,
// unknown versions, oversized counts and trailing bytes.
Result<ManifestSegment> decode_manifest_segment(ByteView plaintext);

struct SealedManifest {
  ChunkId head;                      // the manifest ID that goes in a File ID
  std::vector<SealedChunk> segments; // head first; all must be stored
};

// Validates, splits and seals a manifest. `entries_per_segment` is a knob
// for tests of chaining; callers use the default.
Result<SealedManifest> seal_manifest(const crypto::SecretKey& key, const Manifest& manifest,
                                     std::uint32_t entries_per_segment = kDefaultManifestEntriesPerSegment);

// Fetches sealed chunk bytes by ID (from a store, a peer...).
using ChunkFetcher = std::function<Result<Bytes>(const ChunkId&)>;

// Follows the chain from `head`, verifying and decrypting each segment, and
// returns the validated manifest. The head's total_chunks bounds the chain,
// so a cycle or an overlong chain is reported as corrupt, not followed.
Result<Manifest> load_manifest(const crypto::SecretKey& key, const ChunkId& head, const ChunkFetcher& fetch);

}  // namespace dfs
