#include "dfs/chunk/manifest.hpp"

#include <algorithm>

#include "chain.hpp"

namespace dfs {

namespace {
constexpr std::uint8_t kHeadSegment = 0;
constexpr std::uint8_t kContinuationSegment = 1;
constexpr std::uint8_t kChunkEntry = 0;
constexpr std::uint8_t kHoleEntry = 1;
// Encoded sizes: the smallest entry bounds what a count may claim.
constexpr std::size_t kV1EntrySize = crypto::kDigestSize + 4;
constexpr std::size_t kV2ChunkEntrySize = 1 + crypto::kDigestSize + 4 + crypto::kKeySize;
constexpr std::size_t kV2HoleEntrySize = 1 + 8;

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

Result<ManifestEntry> decode_entry(ByteReader& in, std::uint8_t version) {
  ManifestEntry entry;
  if (version == kManifestFormatVersion) {
    DFS_ASSIGN_OR_RETURN(std::uint8_t tag, in.u8("manifest entry tag"));
    if (tag == kHoleEntry) {
      DFS_ASSIGN_OR_RETURN(entry.holes, in.u64("manifest hole run"));
      if (entry.holes == 0) return make_error(Errc::corrupt, "manifest hole run of 0 chunks");
      return entry;
    }
    if (tag != kChunkEntry) return make_error(Errc::corrupt, "unknown manifest entry tag " + std::to_string(tag));
  }
  DFS_ASSIGN_OR_RETURN(entry.chunk.id.bytes, in.array<crypto::kDigestSize>("manifest entry chunk ID"));
  DFS_ASSIGN_OR_RETURN(entry.chunk.plain_size, in.u32("manifest entry size"));
  if (version == kManifestFormatVersion) {
    DFS_ASSIGN_OR_RETURN(auto key, in.array<crypto::kKeySize>("manifest entry key"));
    entry.chunk.key = crypto::SecretKey::from_bytes(key);
    crypto::wipe(key);
  }
  return entry;
}

void encode_entry(ByteWriter& w, const ManifestEntry& entry, std::uint8_t version) {
  if (version == kManifestFormatVersion) {
    w.u8(entry.is_hole() ? kHoleEntry : kChunkEntry);
    if (entry.is_hole()) {
      w.u64(entry.holes);
      return;
    }
  }
  w.bytes(entry.chunk.id.bytes);
  w.u32(entry.chunk.plain_size);
  if (version == kManifestFormatVersion) w.bytes(entry.chunk.key.bytes());
}
}  // namespace

void Manifest::add_chunk(const ChunkRef& ref) {
  first_index_.push_back(chunk_count_);
  entries_.push_back(ManifestEntry{0, ref});
  ++chunk_count_;
}

void Manifest::add_holes(std::uint64_t count) {
  if (count == 0) return;
  has_holes_ = true;
  chunk_count_ += count;
  if (!entries_.empty() && entries_.back().is_hole()) {
    entries_.back().holes += count;
    return;
  }
  first_index_.push_back(chunk_count_ - count);
  entries_.push_back(ManifestEntry::hole_run(count));
}

void Manifest::keep_chunks(std::uint64_t count) {
  while (chunk_count_ > count) {
    ManifestEntry& last = entries_.back();
    const std::uint64_t drop = std::min(last.span(), chunk_count_ - count);
    chunk_count_ -= drop;
    if (drop < last.span()) {
      last.holes -= drop;  // only a hole run spans more than one chunk
    } else {
      entries_.pop_back();
      first_index_.pop_back();
    }
  }
}

void Manifest::punch(std::uint64_t first, std::uint64_t end) {
  end = std::min(end, chunk_count_);
  if (first >= end) return;
  const std::vector<ManifestEntry> old = entries_;
  const std::vector<std::uint64_t> old_first = first_index_;
  keep_chunks(first);
  add_holes(end - first);
  for (std::size_t i = 0; i < old.size(); ++i) {
    const std::uint64_t next = old_first[i] + old[i].span();
    if (next <= end) continue;
    if (old[i].is_hole()) {
      add_holes(next - std::max(old_first[i], end));  // the part of a run past the punch
    } else {
      add_chunk(old[i].chunk);
    }
  }
}

std::uint64_t Manifest::next_stored(std::uint64_t index) const {
  if (index >= chunk_count_) return chunk_count_;
  if (!has_holes_) return index;
  // The entry holding `index`, then the first stored one from there.
  auto it = std::upper_bound(first_index_.begin(), first_index_.end(), index);
  for (auto i = static_cast<std::size_t>(it - first_index_.begin()) - 1; i < entries_.size(); ++i) {
    if (!entries_[i].is_hole()) return std::max(first_index_[i], index);
  }
  return chunk_count_;
}

const ChunkRef* Manifest::chunk(std::uint64_t index) const {
  if (index >= chunk_count_) return nullptr;
  if (!has_holes_) return &entries_[index].chunk;
  // The last entry starting at or before `index`.
  auto it = std::upper_bound(first_index_.begin(), first_index_.end(), index);
  const ManifestEntry& entry = entries_[static_cast<std::size_t>(it - first_index_.begin()) - 1];
  return entry.is_hole() ? nullptr : &entry.chunk;
}

std::uint32_t Manifest::length_of(std::uint64_t index) const {
  if (index >= chunk_count_) return 0;
  const std::uint64_t start = index * chunk_size;
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(chunk_size, file_size - start));
}

std::uint64_t Manifest::stored_bytes() const {
  std::uint64_t total = 0;
  for (const ManifestEntry& entry : entries_) total += entry.is_hole() ? 0 : entry.chunk.plain_size;
  return total;
}

std::vector<ChunkId> Manifest::stored_ids() const {
  std::vector<ChunkId> ids;
  ids.reserve(entries_.size());
  for (const ManifestEntry& entry : entries_) {
    if (!entry.is_hole()) ids.push_back(entry.chunk.id);
  }
  return ids;
}

Status Manifest::validate() const {
  DFS_TRY(check_chunk_size(chunk_size));
  const std::uint64_t expected = expected_chunk_count(file_size, chunk_size);
  if (chunk_count_ != expected) {
    return make_error(Errc::corrupt, "manifest lists " + std::to_string(chunk_count_) + " chunks, a file of " +
                                         std::to_string(file_size) + " bytes needs " + std::to_string(expected));
  }
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].is_hole()) continue;
    const std::uint64_t index = first_index_[i];
    if (entries_[i].chunk.plain_size != length_of(index)) {
      return make_error(Errc::corrupt, "manifest chunk " + std::to_string(index) + " holds " +
                                           std::to_string(entries_[i].chunk.plain_size) + " bytes, expected " +
                                           std::to_string(length_of(index)));
    }
  }
  return {};
}

Bytes encode_manifest_segment(const ManifestSegment& segment) {
  // Holes exist only in format 2: a format-1 segment with one is written as 2.
  const bool holes = std::any_of(segment.entries.begin(), segment.entries.end(),
                                 [](const ManifestEntry& e) { return e.is_hole(); });
  const std::uint8_t version = holes ? kManifestFormatVersion : segment.version;
  Bytes out;
  out.reserve(32 + segment.entries.size() * kV2ChunkEntrySize + 33);
  ByteWriter w(out);
  w.u8(version);
  w.u8(segment.is_head ? kHeadSegment : kContinuationSegment);
  if (segment.is_head) {
    w.u64(segment.file_size);
    w.u32(segment.chunk_size);
    w.u64(segment.total_chunks);
  }
  w.u32(static_cast<std::uint32_t>(segment.entries.size()));
  for (const ManifestEntry& entry : segment.entries) encode_entry(w, entry, version);
  w.u8(segment.next ? 1 : 0);
  if (segment.next) w.bytes(segment.next->bytes);
  return out;
}

Result<ManifestSegment> decode_manifest_segment(ByteView plaintext) {
  ByteReader in(plaintext);
  ManifestSegment seg;
  DFS_ASSIGN_OR_RETURN(seg.version, in.u8("manifest version"));
  if (seg.version != kManifestFormatVersion && seg.version != kManifestFormatV1) {
    return make_error(Errc::bad_version, "manifest has format version " + std::to_string(seg.version) +
                                             ", this build reads versions 1 and " +
                                             std::to_string(kManifestFormatVersion));
  }
  DFS_ASSIGN_OR_RETURN(std::uint8_t kind, in.u8("manifest segment kind"));
  if (kind != kHeadSegment && kind != kContinuationSegment) {
    return make_error(Errc::corrupt, "unknown manifest segment kind " + std::to_string(kind));
  }
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
  const std::size_t smallest = seg.version == kManifestFormatV1 ? kV1EntrySize : kV2HoleEntrySize;
  if (std::uint64_t{count} * smallest > in.remaining()) {
    return make_error(Errc::truncated, "manifest segment claims " + std::to_string(count) +
                                           " entries but holds only " + std::to_string(in.remaining()) + " bytes");
  }
  seg.entries.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    DFS_ASSIGN_OR_RETURN(ManifestEntry entry, decode_entry(in, seg.version));
    seg.entries.push_back(std::move(entry));
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

Result<SealedManifest> seal_manifest(const Manifest& manifest, std::uint32_t entries_per_segment) {
  DFS_TRY(manifest.validate());
  if (entries_per_segment == 0 || entries_per_segment > kMaxManifestEntriesPerSegment) {
    return make_error(Errc::invalid_argument, "entries per manifest segment must be in [1, " +
                                                  std::to_string(kMaxManifestEntriesPerSegment) + "]");
  }
  SealedManifest out;
  out.key = crypto::SecretKey::generate();
  // Split first, then seal from the tail backwards: each segment names the
  // ID of the one after it, which exists only once that one is sealed.
  const std::vector<ManifestEntry>& entries = manifest.entries();
  const std::size_t n = entries.size();
  const std::size_t segment_count = n == 0 ? 1 : (n + entries_per_segment - 1) / entries_per_segment;
  out.segments.resize(segment_count);
  std::optional<ChunkId> next;
  for (std::size_t s = segment_count; s-- > 0;) {
    ManifestSegment seg;
    seg.is_head = s == 0;
    if (seg.is_head) {
      seg.file_size = manifest.file_size;
      seg.chunk_size = manifest.chunk_size;
      seg.total_chunks = manifest.chunk_count();
    }
    const std::size_t begin = s * entries_per_segment;
    const std::size_t end = std::min(n, begin + entries_per_segment);
    seg.entries.assign(entries.begin() + static_cast<std::ptrdiff_t>(begin),
                       entries.begin() + static_cast<std::ptrdiff_t>(end));
    seg.next = next;
    out.segments[s] = seal_chunk(out.key, ChunkKind::manifest, encode_manifest_segment(seg));
    next = out.segments[s].id;
  }
  out.head = out.segments[0].id;
  return out;
}

Result<Manifest> load_manifest(const crypto::SecretKey& key, const ChunkId& head, const ChunkFetcher& fetch) {
  Manifest manifest;
  std::uint64_t total = 0;
  std::uint8_t version = 0;
  auto absorb = [&](ManifestSegment& seg, bool first) -> Status {
    if (first) {
      manifest.file_size = seg.file_size;
      manifest.chunk_size = seg.chunk_size;
      total = seg.total_chunks;
      version = seg.version;
    }
    if (seg.version != version) return make_error(Errc::corrupt, "manifest chain mixes format versions");
    // Empty continuation segments would let a chain run on forever.
    if (!first && seg.entries.empty()) return make_error(Errc::corrupt, "manifest chain has an empty continuation segment");
    for (ManifestEntry& entry : seg.entries) {
      if (entry.span() > total - manifest.chunk_count()) {
        return make_error(Errc::corrupt, "manifest chain holds more chunks than its head's count " + std::to_string(total));
      }
      if (entry.is_hole()) {
        manifest.add_holes(entry.holes);
        continue;
      }
      if (version == kManifestFormatV1) entry.chunk.key = key;  // one key for the whole file
      manifest.add_chunk(entry.chunk);
    }
    return Status{};
  };
  DFS_TRY(chain::walk(key, ChunkKind::manifest, head, fetch, decode_manifest_segment, absorb));
  DFS_TRY(manifest.validate());
  return manifest;
}

SealedData seal_data_chunk(ByteView plaintext) {
  SealedData out;
  out.ref.key = crypto::SecretKey::generate();
  out.sealed = seal_chunk(out.ref.key, ChunkKind::data, plaintext);
  out.ref.id = out.sealed.id;
  out.ref.plain_size = static_cast<std::uint32_t>(plaintext.size());
  return out;
}

Status check_plain_size(const ChunkRef& ref, std::size_t opened) {
  if (opened != ref.plain_size) {
    return make_error(Errc::corrupt, "chunk " + ref.id.short_hex() + " holds " + std::to_string(opened) +
                                         " bytes, its manifest says " + std::to_string(ref.plain_size));
  }
  return {};
}

Result<Bytes> open_data_chunk(const ChunkRef& ref, ByteView sealed) {
  DFS_ASSIGN_OR_RETURN(Bytes plaintext, decrypt_chunk(ref.key, ChunkKind::data, sealed));
  DFS_TRY(check_plain_size(ref, plaintext.size()));
  return plaintext;
}

}  // namespace dfs
