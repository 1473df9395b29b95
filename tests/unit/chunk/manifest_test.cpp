#include "dfs/chunk/manifest.hpp"

#include <gtest/gtest.h>

#include <map>

#include "../../common/chunk_ids.hpp"

namespace dfs {
namespace {

// A stored chunk's entry, each under a key of its own.
ManifestEntry entry(std::uint8_t n, std::uint32_t size) {
  return ManifestEntry{0, ChunkRef{testing::chunk_id_filled(n), size, crypto::SecretKey::generate()}};
}

Manifest manifest_of(std::uint64_t size, std::uint32_t chunk_size = kMinChunkSize) {
  Manifest m;
  m.file_size = size;
  m.chunk_size = chunk_size;
  for (std::uint64_t off = 0, i = 0; off < size; off += chunk_size, ++i) {
    m.add_chunk(entry(static_cast<std::uint8_t>(i), static_cast<std::uint32_t>(std::min<std::uint64_t>(chunk_size, size - off))).chunk);
  }
  return m;
}

// The same file with its chunks rebuilt: `holes` replaces chunks [from, to).
Manifest with_holes(const Manifest& m, std::uint64_t from, std::uint64_t to) {
  Manifest out;
  out.file_size = m.file_size;
  out.chunk_size = m.chunk_size;
  for (std::uint64_t i = 0; i < m.chunk_count(); ++i) {
    if (i >= from && i < to) {
      out.add_holes(1);
    } else {
      out.add_chunk(*m.chunk(i));
    }
  }
  return out;
}

// A store of sealed segments, so tests can load chains and corrupt them.
struct SegmentMap {
  std::map<ChunkId, Bytes> chunks;
  void add(const SealedManifest& sm) {
    for (const auto& s : sm.segments) chunks[s.id] = s.bytes;
  }
  ChunkFetcher fetcher() {
    return [this](const ChunkId& id) -> Result<Bytes> {
      auto it = chunks.find(id);
      if (it == chunks.end()) return make_error(Errc::not_found, "no chunk " + id.short_hex());
      return it->second;
    };
  }
};

TEST(Manifest, SegmentsRoundTripThroughTheEncoder) {
  ManifestSegment seg;
  seg.is_head = true;
  seg.file_size = 5000;
  seg.chunk_size = 4096;
  seg.total_chunks = 2;
  seg.entries = {entry(1, 4096), ManifestEntry::hole_run(7), entry(2, 904)};
  seg.next = testing::chunk_id_filled(9);
  auto back = decode_manifest_segment(encode_manifest_segment(seg)).value();
  EXPECT_TRUE(back.is_head);
  EXPECT_EQ(back.file_size, 5000u);
  EXPECT_EQ(back.entries, seg.entries);
  EXPECT_EQ(back.next, seg.next);
}

TEST(Manifest, SealedManifestsLoadBackForEmptySmallAndChainedFiles) {
  for (std::uint64_t size : {0ull, 1ull, 4096ull, 4097ull, 4096ull * 25 + 3}) {
    Manifest m = manifest_of(size);
    auto sealed = seal_manifest(m, 4).value();
    EXPECT_EQ(sealed.segments.size(), m.chunk_count() == 0 ? 1 : (m.chunk_count() + 3) / 4);
    SegmentMap store;
    store.add(sealed);
    auto loaded = load_manifest(sealed.key, sealed.head, store.fetcher());
    ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
    EXPECT_EQ(loaded.value(), m) << "size " << size;
  }
}

TEST(Manifest, ValidateRejectsSizesThatDoNotAddUp) {
  Manifest m;
  m.file_size = 10000;
  m.chunk_size = 4096;
  m.add_chunk(entry(0, 100).chunk);
  m.add_chunk(entry(1, 4096).chunk);
  m.add_chunk(entry(2, 1808).chunk);
  EXPECT_EQ(m.validate().error().code, Errc::corrupt);
  Manifest missing = manifest_of(10000);
  missing.keep_chunks(2);
  EXPECT_EQ(missing.validate().error().code, Errc::corrupt);
  Manifest bad_chunk_size = manifest_of(10);
  bad_chunk_size.chunk_size = 17;
  EXPECT_EQ(bad_chunk_size.validate().error().code, Errc::corrupt);
  EXPECT_FALSE(seal_manifest(m).ok());
}

TEST(Manifest, DecoderRejectsTruncatedWrongVersionOversizedAndTrailingInput) {
  ManifestSegment seg;
  seg.is_head = true;
  seg.file_size = 4096;
  seg.chunk_size = 4096;
  seg.total_chunks = 1;
  seg.entries = {entry(1, 4096)};
  Bytes good = encode_manifest_segment(seg);
  for (std::size_t n = 0; n < good.size(); ++n) {
    auto r = decode_manifest_segment(ByteView(good).first(n));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.error().code, Errc::truncated) << n << ": " << r.error().message;
  }
  Bytes v3 = good;
  v3[0] = 3;
  EXPECT_EQ(decode_manifest_segment(v3).error().code, Errc::bad_version);
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_EQ(decode_manifest_segment(trailing).error().code, Errc::corrupt);
  Bytes huge_count = good;
  huge_count[2 + 8 + 4 + 8] = 0xff;  // entry count low byte...
  huge_count[2 + 8 + 4 + 8 + 3] = 0x7f;  // ...and high byte: ~2^31 entries
  EXPECT_EQ(decode_manifest_segment(huge_count).error().code, Errc::too_large);
}

TEST(Manifest, LoadingReportsAMissingSegmentAndASegmentUnderTheWrongKey) {
  auto sealed = seal_manifest(manifest_of(4096 * 9), 4).value();
  SegmentMap store;
  store.add(sealed);
  store.chunks.erase(sealed.segments[1].id);
  EXPECT_EQ(load_manifest(sealed.key, sealed.head, store.fetcher()).error().code, Errc::not_found);
  store.add(sealed);
  EXPECT_EQ(load_manifest(crypto::SecretKey::generate(), sealed.head, store.fetcher()).error().code, Errc::corrupt);
}

TEST(Manifest, LoadingRefusesAChainThatLoopsOrStartsMidway) {
  auto key = crypto::SecretKey::generate();
  // A head that claims 3 chunks but whose continuation points back to itself
  // would loop forever if the chain were followed blindly.
  ManifestSegment tail;
  tail.entries = {entry(2, 4096)};
  SealedChunk tail_sealed = seal_chunk(key, ChunkKind::manifest, encode_manifest_segment(tail));
  SegmentMap store;
  store.chunks[tail_sealed.id] = tail_sealed.bytes;
  EXPECT_EQ(load_manifest(key, tail_sealed.id, store.fetcher()).error().code, Errc::corrupt);

  ManifestSegment looping;
  looping.entries = {entry(3, 4096)};
  ManifestSegment head;
  head.is_head = true;
  head.file_size = 4096 * 3;
  head.chunk_size = 4096;
  head.total_chunks = 3;
  head.entries = {entry(1, 4096)};
  // Continuation segments that name each other in a cycle cannot be built
  // (IDs are hashes), but a chain longer than the head's count can.
  ManifestSegment c3 = looping;
  SealedChunk s3 = seal_chunk(key, ChunkKind::manifest, encode_manifest_segment(c3));
  ManifestSegment c2 = looping;
  c2.next = s3.id;
  SealedChunk s2 = seal_chunk(key, ChunkKind::manifest, encode_manifest_segment(c2));
  ManifestSegment c1 = looping;
  c1.next = s2.id;
  SealedChunk s1 = seal_chunk(key, ChunkKind::manifest, encode_manifest_segment(c1));
  head.next = s1.id;
  SealedChunk sh = seal_chunk(key, ChunkKind::manifest, encode_manifest_segment(head));
  for (auto* s : {&s1, &s2, &s3, &sh}) store.chunks[s->id] = s->bytes;
  auto r = load_manifest(key, sh.id, store.fetcher());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::corrupt);
}

TEST(Manifest, ADataChunkCannotBeLoadedAsAManifest) {
  SealedManifest sm = seal_manifest(manifest_of(1)).value();
  const crypto::SecretKey& key = sm.key;
  Bytes plaintext = encode_manifest_segment(decode_manifest_segment(
      decrypt_chunk(key, ChunkKind::manifest, sm.segments[0].bytes).value()).value());
  SealedChunk as_data = seal_chunk(key, ChunkKind::data, plaintext);
  SegmentMap store;
  store.chunks[as_data.id] = as_data.bytes;
  EXPECT_EQ(load_manifest(key, as_data.id, store.fetcher()).error().code, Errc::corrupt);
}

}  // namespace
}  // namespace dfs

namespace dfs {
namespace {

// Found by fuzz_manifest_segment: file_size + chunk_size - 1 wrapped, so a
// head claiming a 16 EiB file with no chunks was accepted.
TEST(Manifest, AHeadClaimingAFileNear2To64BytesWithNoChunksIsRejected) {
  ManifestSegment seg;
  seg.is_head = true;
  seg.file_size = ~std::uint64_t{0};
  seg.chunk_size = 4096;
  seg.total_chunks = 0;
  EXPECT_EQ(decode_manifest_segment(encode_manifest_segment(seg)).error().code, Errc::corrupt);
  Manifest m;
  m.file_size = ~std::uint64_t{0};
  m.chunk_size = 4096;
  EXPECT_FALSE(m.validate().ok());
}

TEST(Manifest, EachSealGetsAFreshKeySoEqualVersionsHaveUnrelatedIds) {
  const Manifest m = manifest_of(5000);
  auto a = seal_manifest(m).value();
  auto b = seal_manifest(m).value();
  EXPECT_FALSE(a.key == b.key);
  EXPECT_NE(a.head, b.head);
  SegmentMap store;
  store.add(b);
  EXPECT_EQ(load_manifest(a.key, b.head, store.fetcher()).error().code, Errc::corrupt);
}

TEST(Manifest, HoleRunsRoundTripMergeAndReadAsNoChunk) {
  const Manifest full = manifest_of(4096 * 10 + 5);
  Manifest m = with_holes(full, 2, 9);
  ASSERT_EQ(m.entries().size(), 5u);  // 2 chunks, one run of 7, 2 chunks
  EXPECT_EQ(m.entries()[2].holes, 7u);
  EXPECT_EQ(m.chunk_count(), 11u);
  EXPECT_EQ(m.chunk(1)->id, full.chunk(1)->id);
  EXPECT_EQ(m.chunk(2), nullptr);
  EXPECT_EQ(m.chunk(8), nullptr);
  EXPECT_EQ(m.chunk(9)->id, full.chunk(9)->id);
  EXPECT_EQ(m.chunk(10)->id, full.chunk(10)->id);
  EXPECT_EQ(m.chunk(11), nullptr);
  EXPECT_EQ(m.length_of(10), 5u);
  EXPECT_EQ(m.stored_ids().size(), 4u);
  ASSERT_TRUE(m.validate().ok());
  auto sealed = seal_manifest(m, 2).value();
  SegmentMap store;
  store.add(sealed);
  EXPECT_EQ(load_manifest(sealed.key, sealed.head, store.fetcher()).value(), m);
}

TEST(Manifest, ATrailingHoleRunIsValidAndKeepChunksSplitsIt) {
  Manifest m;
  m.file_size = 4096 * 5 + 1;
  m.chunk_size = 4096;
  m.add_chunk(entry(0, 4096).chunk);
  m.add_holes(5);
  ASSERT_TRUE(m.validate().ok());
  EXPECT_EQ(m.length_of(5), 1u);
  m.keep_chunks(3);
  EXPECT_EQ(m.chunk_count(), 3u);
  EXPECT_EQ(m.entries().back().holes, 2u);
  m.keep_chunks(1);
  EXPECT_EQ(m.entries().size(), 1u);
}

TEST(Manifest, ASparseTerabyteCostsOneSmallSegment) {
  Manifest m;
  m.file_size = std::uint64_t{1} << 40;
  m.chunk_size = kDefaultChunkSize;
  m.add_holes(m.file_size / m.chunk_size);
  auto sealed = seal_manifest(m).value();
  ASSERT_EQ(sealed.segments.size(), 1u);
  EXPECT_LT(sealed.segments[0].bytes.size(), 128u);
  SegmentMap store;
  store.add(sealed);
  EXPECT_EQ(load_manifest(sealed.key, sealed.head, store.fetcher()).value().chunk_count(), 1u << 20);
}

TEST(Manifest, PunchMakesChunksHolesAndMergesTheRunsAround) {
  Manifest m;
  m.file_size = 4096 * 8;
  m.chunk_size = 4096;
  for (int i = 0; i < 3; ++i) m.add_chunk(entry(static_cast<std::uint8_t>(i), 4096).chunk);
  m.add_holes(2);
  for (int i = 5; i < 8; ++i) m.add_chunk(entry(static_cast<std::uint8_t>(i), 4096).chunk);
  m.punch(2, 3);  // joins the run after it
  m.punch(5, 6);  // joins the run before it
  ASSERT_TRUE(m.validate().ok());
  EXPECT_EQ(m.chunk_count(), 8u);
  ASSERT_EQ(m.entries().size(), 5u);
  EXPECT_EQ(m.entries()[2].holes, 4u);
  EXPECT_EQ(m.chunk(2), nullptr);
  EXPECT_EQ(m.chunk(5), nullptr);
  EXPECT_EQ(m.chunk(6)->id, entry(6, 4096).chunk.id);
  m.punch(7, 100);  // clamped to the chunks there are
  EXPECT_EQ(m.chunk_count(), 8u);
  EXPECT_EQ(m.stored_ids().size(), 3u);
}

TEST(Manifest, NextStoredSkipsHoleRuns) {
  Manifest m;
  m.file_size = 4096 * 10;
  m.chunk_size = 4096;
  m.add_chunk(entry(0, 4096).chunk);
  m.add_holes(6);
  m.add_chunk(entry(7, 4096).chunk);
  m.add_holes(2);
  EXPECT_EQ(m.next_stored(0), 0u);
  EXPECT_EQ(m.next_stored(1), 7u);
  EXPECT_EQ(m.next_stored(7), 7u);
  EXPECT_EQ(m.next_stored(8), 10u) << "none: chunk_count()";
  EXPECT_EQ(m.next_stored(50), 10u);
}

TEST(Manifest, TheDecoderRejectsEmptyHoleRunsAndUnknownEntryTags) {
  ManifestSegment seg;
  seg.entries = {ManifestEntry::hole_run(1)};
  Bytes bytes = encode_manifest_segment(seg);
  Bytes empty_run = bytes;
  empty_run[2 + 4 + 1] = 0;  // the run's count, low byte
  EXPECT_EQ(decode_manifest_segment(empty_run).error().code, Errc::corrupt);
  Bytes unknown_tag = bytes;
  unknown_tag[2 + 4] = 2;
  EXPECT_EQ(decode_manifest_segment(unknown_tag).error().code, Errc::corrupt);
}

TEST(Manifest, AHoleRunPastTheHeadsCountIsRejectedWithoutOverflow) {
  auto key = crypto::SecretKey::generate();
  ManifestSegment head;
  head.is_head = true;
  head.file_size = 4096 * 2;
  head.chunk_size = 4096;
  head.total_chunks = 2;
  head.entries = {entry(1, 4096), ManifestEntry::hole_run(~std::uint64_t{0})};
  SealedChunk sealed = seal_chunk(key, ChunkKind::manifest, encode_manifest_segment(head));
  SegmentMap store;
  store.chunks[sealed.id] = sealed.bytes;
  EXPECT_EQ(load_manifest(key, sealed.id, store.fetcher()).error().code, Errc::corrupt);
}

// Format 1, as the builds before per-chunk keys wrote it: every chunk under
// the manifest's key. A chained one loads with that key in every entry.
TEST(Manifest, AFormatOneChainLoadsWithTheManifestKeyForEveryChunk) {
  auto key = crypto::SecretKey::generate();
  ManifestSegment tail;
  tail.version = kManifestFormatV1;
  tail.entries = {entry(3, 100)};
  SealedChunk st = seal_chunk(key, ChunkKind::manifest, encode_manifest_segment(tail));
  ManifestSegment head;
  head.version = kManifestFormatV1;
  head.is_head = true;
  head.file_size = 4096 * 2 + 100;
  head.chunk_size = 4096;
  head.total_chunks = 3;
  head.entries = {entry(1, 4096), entry(2, 4096)};
  head.next = st.id;
  const Bytes head_plain = encode_manifest_segment(head);
  EXPECT_EQ(head_plain.size(), 2u + 20 + 4 + 2 * 36 + 33);  // format 1's layout
  EXPECT_EQ(encode_manifest_segment(decode_manifest_segment(head_plain).value()), head_plain);
  SealedChunk sh = seal_chunk(key, ChunkKind::manifest, head_plain);
  SegmentMap store;
  store.chunks[st.id] = st.bytes;
  store.chunks[sh.id] = sh.bytes;
  auto m = load_manifest(key, sh.id, store.fetcher());
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  ASSERT_EQ(m->chunk_count(), 3u);
  for (std::uint64_t i = 0; i < 3; ++i) EXPECT_TRUE(m->chunk(i)->key == key);
  EXPECT_EQ(m->chunk(2)->id, testing::chunk_id_filled(3));
}

TEST(Manifest, AChainMixingFormatsIsRejected) {
  auto key = crypto::SecretKey::generate();
  ManifestSegment tail;
  tail.entries = {entry(3, 100)};
  SealedChunk st = seal_chunk(key, ChunkKind::manifest, encode_manifest_segment(tail));
  ManifestSegment head;
  head.version = kManifestFormatV1;
  head.is_head = true;
  head.file_size = 4096 + 100;
  head.chunk_size = 4096;
  head.total_chunks = 2;
  head.entries = {entry(1, 4096)};
  head.next = st.id;
  SealedChunk sh = seal_chunk(key, ChunkKind::manifest, encode_manifest_segment(head));
  SegmentMap store;
  store.chunks[st.id] = st.bytes;
  store.chunks[sh.id] = sh.bytes;
  EXPECT_EQ(load_manifest(key, sh.id, store.fetcher()).error().code, Errc::corrupt);
}

TEST(Manifest, ADataChunkOpensWithItsOwnKeyOnly) {
  const Bytes plain(5000, 7);
  SealedData a = seal_data_chunk(plain);
  SealedData b = seal_data_chunk(plain);
  EXPECT_FALSE(a.ref.key == b.ref.key);
  EXPECT_NE(a.ref.id, b.ref.id);
  EXPECT_EQ(open_data_chunk(a.ref, a.sealed.bytes).value(), plain);
  ChunkRef wrong = a.ref;
  wrong.key = b.ref.key;
  EXPECT_EQ(open_data_chunk(wrong, a.sealed.bytes).error().code, Errc::corrupt);
  ChunkRef short_entry = a.ref;
  short_entry.plain_size = 10;
  EXPECT_EQ(open_data_chunk(short_entry, a.sealed.bytes).error().code, Errc::corrupt);
}

}  // namespace
}  // namespace dfs
