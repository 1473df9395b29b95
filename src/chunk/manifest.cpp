#include "dfs/chunk/manifest.hpp"

namespace dfs {

namespace {
constexpr std::uint8_t kHeadSegment = 0;
constexpr std::uint8_t kContinuationSegment = 1;

// Written without file_size + chunk_size - 1, which wraps for sizes near
// 2^64 and would let a forged head claim a huge file with no chunks.
std::uint64_t expected_chunk_count(std::uint64_t file_size, std::uint32_t chunk_size) {
  return file_size / chunk_size + (file_size % chunk_size != 0 ? 1 : 0);
}

Status check_chunk_size(std::uint32_t chunk_size) {
  if (chunk_size < kMinChunkSize || chunk_size > kMaxChunkSize) {
    return make_error(Errc::corrupt, "chunk size " + std::to_string(chunk_size) + " is outside [" +
                                         std::to_string(kMinChunkSize) + ", " + std::to_string(kMaxChunkSize) + "]");
  }
  return {};
}

Result<ChunkRef> decode_entry(ByteReader& in) {
  ChunkRef ref;
  DFS_ASSIGN_OR_RETURN(ref.id.bytes, in.array<crypto::kDigestSize>("manifest entry chunk ID"));
  DFS_ASSIGN_OR_RETURN(ref.plain_size, in.u32("manifest entry size"));
  return ref;
}
}  // namespace

Status Manifest::validate() const {
  DFS_TRY(check_chunk_size(chunk_size));
  const std::uint64_t expected = expected_chunk_count(file_size, chunk_size);
  if (chunks.size() != expected) {
    return make_error(Errc::corrupt, "manifest lists " + std::to_string(chunks.size()) + " chunks, a file of " +
                                         std::to_string(file_size) + " bytes needs " + std::to_string(expected));
  }
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    const bool last = i + 1 == chunks.size();
    const std::uint64_t want = last ? file_size - std::uint64_t{chunk_size} * i : chunk_size;
    if (chunks[i].plain_size != want) {
      return make_error(Errc::corrupt, "manifest chunk " + std::to_string(i) + " holds " +
                                           std::to_string(chunks[i].plain_size) + " bytes, expected " +
                                           std::to_string(want));
    }
  }
  return {};
}

Bytes encode_manifest_segment(const ManifestSegment& segment) {
  Bytes out;
  out.reserve(32 + segment.entries.size() * 36 + 33);
  ByteWriter w(out);
  w.u8(kManifestFormatVersion);
  w.u8(segment.is_head ? kHeadSegment : kContinuationSegment);
  if (segment.is_head) {
    w.u64(segment.file_size);
    w.u32(segment.chunk_size);
    w.u64(segment.total_chunks);
  }
  w.u32(static_cast<std::uint32_t>(segment.entries.size()));
  for (const ChunkRef& ref : segment.entries) {
    w.bytes(ref.id.bytes);
    w.u32(ref.plain_size);
  }
  w.u8(segment.next ? 1 : 0);
  if (segment.next) w.bytes(segment.next->bytes);
  return out;
}

Result<ManifestSegment> decode_manifest_segment(ByteView plaintext) {
  ByteReader in(plaintext);
  DFS_ASSIGN_OR_RETURN(std::uint8_t version, in.u8("manifest version"));
  if (version != kManifestFormatVersion) {
    return make_error(Errc::bad_version, "manifest has format version " + std::to_string(version) +
                                             ", this build reads version " + std::to_string(kManifestFormatVersion));
  }
  DFS_ASSIGN_OR_RETURN(std::uint8_t kind, in.u8("manifest segment kind"));
  if (kind != kHeadSegment && kind != kContinuationSegment) {
    return make_error(Errc::corrupt, "unknown manifest segment kind " + std::to_string(kind));
  }
  ManifestSegment seg;
  seg.is_head = kind == kHeadSegment;
  if (seg.is_head) {
    DFS_ASSIGN_OR_RETURN(seg.file_size, in.u64("manifest file size"));
    DFS_ASSIGN_OR_RETURN(seg.chunk_size, in.u32("manifest chunk size"));
    DFS_ASSIGN_OR_RETURN(seg.total_chunks, in.u64("manifest chunk count"));
    DFS_TRY(check_chunk_size(seg.chunk_size));
    if (seg.total_chunks != expected_chunk_count(seg.file_size, seg.chunk_size)) {
      return make_error(Errc::corrupt, "manifest chunk count " + std::to_string(seg.total_chunks) +
                                           " does not fit its file size " + std::to_string(seg.file_size));
    }
  }
  DFS_ASSIGN_OR_RETURN(std::uint32_t count, in.u32("manifest entry count"));
  if (count > kMaxManifestEntriesPerSegment) {
    return make_error(Errc::too_large, "manifest segment claims " + std::to_string(count) +
                                           " entries, the limit is " + std::to_string(kMaxManifestEntriesPerSegment));
  }
  if (std::uint64_t{count} * 36 > in.remaining()) {
    return make_error(Errc::truncated, "manifest segment claims " + std::to_string(count) +
                                           " entries but holds only " + std::to_string(in.remaining()) + " bytes");
  }
  seg.entries.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    DFS_ASSIGN_OR_RETURN(ChunkRef ref, decode_entry(in));
    seg.entries.push_back(ref);
  }
  DFS_ASSIGN_OR_RETURN(std::uint8_t has_next, in.u8("manifest next flag"));
  if (has_next > 1) return make_error(Errc::corrupt, "manifest next flag is " + std::to_string(has_next));
  if (has_next) {
    ChunkId next;
    DFS_ASSIGN_OR_RETURN(next.bytes, in.array<crypto::kDigestSize>("manifest next segment ID"));
    seg.next = next;
  }
  DFS_TRY(in.expect_end("manifest segment"));
  return seg;
}

Result<SealedManifest> seal_manifest(const crypto::SecretKey& key, const Manifest& manifest,
                                     std::uint32_t entries_per_segment) {
  DFS_TRY(manifest.validate());
  if (entries_per_segment == 0 || entries_per_segment > kMaxManifestEntriesPerSegment) {
    return make_error(Errc::invalid_argument, "entries per manifest segment must be in [1, " +
                                                  std::to_string(kMaxManifestEntriesPerSegment) + "]");
  }
  // Split first, then seal from the tail backwards: each segment names the
  // ID of the one after it, which exists only once that one is sealed.
  const std::size_t n = manifest.chunks.size();
  const std::size_t segment_count = n == 0 ? 1 : (n + entries_per_segment - 1) / entries_per_segment;
  std::vector<SealedChunk> sealed(segment_count);
  std::optional<ChunkId> next;
  for (std::size_t s = segment_count; s-- > 0;) {
    ManifestSegment seg;
    seg.is_head = s == 0;
    if (seg.is_head) {
      seg.file_size = manifest.file_size;
      seg.chunk_size = manifest.chunk_size;
      seg.total_chunks = n;
    }
    const std::size_t begin = s * entries_per_segment;
    const std::size_t end = std::min(n, begin + entries_per_segment);
    seg.entries.assign(manifest.chunks.begin() + static_cast<std::ptrdiff_t>(begin),
                       manifest.chunks.begin() + static_cast<std::ptrdiff_t>(end));
    seg.next = next;
    sealed[s] = seal_chunk(key, ChunkKind::manifest, encode_manifest_segment(seg));
    next = sealed[s].id;
  }
  SealedManifest out{sealed[0].id, std::move(sealed)};
  return out;
}

Result<Manifest> load_manifest(const crypto::SecretKey& key, const ChunkId& head, const ChunkFetcher& fetch) {
  Manifest manifest;
  std::uint64_t total = 0;
  std::optional<ChunkId> current = head;
  for (bool first = true; current; first = false) {
    DFS_ASSIGN_OR_RETURN(Bytes sealed, fetch(*current));
    DFS_ASSIGN_OR_RETURN(Bytes plaintext, open_chunk(key, ChunkKind::manifest, *current, sealed));
    DFS_ASSIGN_OR_RETURN(ManifestSegment seg, decode_manifest_segment(plaintext));
    if (seg.is_head != first) {
      return make_error(Errc::corrupt, first ? "manifest ID names a continuation segment, not a head"
                                             : "manifest chain contains a second head segment");
    }
    if (first) {
      manifest.file_size = seg.file_size;
      manifest.chunk_size = seg.chunk_size;
      total = seg.total_chunks;
    }
    if (manifest.chunks.size() + seg.entries.size() > total) {
      return make_error(Errc::corrupt, "manifest chain holds more entries than its head's count " + std::to_string(total));
    }
    // Empty continuation segments would let a chain run on forever.
    if (!first && seg.entries.empty()) return make_error(Errc::corrupt, "manifest chain has an empty continuation segment");
    manifest.chunks.insert(manifest.chunks.end(), seg.entries.begin(), seg.entries.end());
    current = seg.next;
  }
  DFS_TRY(manifest.validate());
  return manifest;
}

}  // namespace dfs
