#include "dfs/chunk/manifest.hpp"

#include <gtest/gtest.h>

#include <map>

namespace dfs {
namespace {

ChunkId id_n(std::uint8_t n) {
  ChunkId id;
  id.bytes.fill(n);
  return id;
}

Manifest manifest_of(std::uint64_t size, std::uint32_t chunk_size = kMinChunkSize) {
  Manifest m;
  m.file_size = size;
  m.chunk_size = chunk_size;
  for (std::uint64_t off = 0, i = 0; off < size; off += chunk_size, ++i) {
    m.chunks.push_back({id_n(static_cast<std::uint8_t>(i)), static_cast<std::uint32_t>(std::min<std::uint64_t>(chunk_size, size - off))});
  }
  return m;
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
  seg.entries = {{id_n(1), 4096}, {id_n(2), 904}};
  seg.next = id_n(9);
  auto back = decode_manifest_segment(encode_manifest_segment(seg)).value();
  EXPECT_TRUE(back.is_head);
  EXPECT_EQ(back.file_size, 5000u);
  EXPECT_EQ(back.entries, seg.entries);
  EXPECT_EQ(back.next, seg.next);
}

TEST(Manifest, SealedManifestsLoadBackForEmptySmallAndChainedFiles) {
  auto key = crypto::SecretKey::generate();
  for (std::uint64_t size : {0ull, 1ull, 4096ull, 4097ull, 4096ull * 25 + 3}) {
    Manifest m = manifest_of(size);
    auto sealed = seal_manifest(key, m, 4).value();
    EXPECT_EQ(sealed.segments.size(), m.chunks.empty() ? 1 : (m.chunks.size() + 3) / 4);
    SegmentMap store;
    store.add(sealed);
    auto loaded = load_manifest(key, sealed.head, store.fetcher());
    ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
    EXPECT_EQ(loaded.value(), m) << "size " << size;
  }
}

TEST(Manifest, ValidateRejectsSizesThatDoNotAddUp) {
  Manifest m = manifest_of(10000);
  m.chunks[0].plain_size = 100;
  EXPECT_EQ(m.validate().error().code, Errc::corrupt);
  Manifest missing = manifest_of(10000);
  missing.chunks.pop_back();
  EXPECT_EQ(missing.validate().error().code, Errc::corrupt);
  Manifest bad_chunk_size = manifest_of(10);
  bad_chunk_size.chunk_size = 17;
  EXPECT_EQ(bad_chunk_size.validate().error().code, Errc::corrupt);
  EXPECT_FALSE(seal_manifest(crypto::SecretKey::generate(), m).ok());
}

TEST(Manifest, DecoderRejectsTruncatedWrongVersionOversizedAndTrailingInput) {
  ManifestSegment seg;
  seg.is_head = true;
  seg.file_size = 4096;
  seg.chunk_size = 4096;
  seg.total_chunks = 1;
  seg.entries = {{id_n(1), 4096}};
  Bytes good = encode_manifest_segment(seg);
  for (std::size_t n = 0; n < good.size(); ++n) {
    auto r = decode_manifest_segment(ByteView(good).first(n));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.error().code, Errc::truncated) << n << ": " << r.error().message;
  }
  Bytes v2 = good;
  v2[0] = 2;
  EXPECT_EQ(decode_manifest_segment(v2).error().code, Errc::bad_version);
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_EQ(decode_manifest_segment(trailing).error().code, Errc::corrupt);
  Bytes huge_count = good;
  huge_count[2 + 8 + 4 + 8] = 0xff;  // entry count low byte...
  huge_count[2 + 8 + 4 + 8 + 3] = 0x7f;  // ...and high byte: ~2^31 entries
  EXPECT_EQ(decode_manifest_segment(huge_count).error().code, Errc::too_large);
}

TEST(Manifest, LoadingReportsAMissingSegmentAndASegmentUnderTheWrongKey) {
  auto key = crypto::SecretKey::generate();
  auto sealed = seal_manifest(key, manifest_of(4096 * 9), 4).value();
  SegmentMap store;
  store.add(sealed);
  store.chunks.erase(sealed.segments[1].id);
  EXPECT_EQ(load_manifest(key, sealed.head, store.fetcher()).error().code, Errc::not_found);
  store.add(sealed);
  EXPECT_EQ(load_manifest(crypto::SecretKey::generate(), sealed.head, store.fetcher()).error().code, Errc::corrupt);
}

TEST(Manifest, LoadingRefusesAChainThatLoopsOrStartsMidway) {
  auto key = crypto::SecretKey::generate();
  // A head that claims 3 chunks but whose continuation points back to itself
  // would loop forever if the chain were followed blindly.
  ManifestSegment tail;
  tail.entries = {{id_n(2), 4096}};
  SealedChunk tail_sealed = seal_chunk(key, ChunkKind::manifest, encode_manifest_segment(tail));
  SegmentMap store;
  store.chunks[tail_sealed.id] = tail_sealed.bytes;
  EXPECT_EQ(load_manifest(key, tail_sealed.id, store.fetcher()).error().code, Errc::corrupt);

  ManifestSegment looping;
  looping.entries = {{id_n(3), 4096}};
  ManifestSegment head;
  head.is_head = true;
  head.file_size = 4096 * 3;
  head.chunk_size = 4096;
  head.total_chunks = 3;
  head.entries = {{id_n(1), 4096}};
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
  auto key = crypto::SecretKey::generate();
  SealedManifest sm = seal_manifest(key, manifest_of(1)).value();
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

}  // namespace
}  // namespace dfs
