#include "dfs/chunk/sealed_chunk.hpp"

#include <gtest/gtest.h>

namespace dfs {
namespace {

Bytes pattern(std::size_t n) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i * 31 + 7);
  return b;
}

TEST(SealedChunk, HasTheDocumentedEnvelopeAndAnIdThatIsTheHashOfItsBytes) {
  auto key = crypto::SecretKey::generate();
  Bytes pt = pattern(1000);
  SealedChunk c = seal_chunk(key, ChunkKind::data, pt);
  EXPECT_EQ(c.bytes.size(), pt.size() + kChunkOverhead);
  EXPECT_EQ(c.bytes[0], kChunkFormatVersion);
  EXPECT_EQ(c.id, ChunkId::of(c.bytes));
  EXPECT_EQ(open_chunk(key, ChunkKind::data, c.id, c.bytes).value(), pt);
}

TEST(SealedChunk, SealingTheSamePlaintextTwiceGivesDifferentIds) {
  auto key = crypto::SecretKey::generate();
  Bytes pt = pattern(64);
  EXPECT_NE(seal_chunk(key, ChunkKind::data, pt).id, seal_chunk(key, ChunkKind::data, pt).id);
}

TEST(SealedChunk, AnEmptyPlaintextRoundTrips) {
  auto key = crypto::SecretKey::generate();
  SealedChunk c = seal_chunk(key, ChunkKind::data, {});
  EXPECT_TRUE(open_chunk(key, ChunkKind::data, c.id, c.bytes).value().empty());
}

TEST(SealedChunk, OpenRejectsBytesThatDoNotMatchTheirId) {
  auto key = crypto::SecretKey::generate();
  SealedChunk c = seal_chunk(key, ChunkKind::data, pattern(100));
  c.bytes[50] ^= 0x40;
  auto r = open_chunk(key, ChunkKind::data, c.id, c.bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::corrupt);
  EXPECT_NE(r.error().message.find("does not match its ID"), std::string::npos);
}

TEST(SealedChunk, DecryptRejectsATamperedCiphertextEvenWithAMatchingId) {
  auto key = crypto::SecretKey::generate();
  SealedChunk c = seal_chunk(key, ChunkKind::data, pattern(100));
  c.bytes[20] ^= 1;
  EXPECT_EQ(open_chunk(key, ChunkKind::data, ChunkId::of(c.bytes), c.bytes).error().code, Errc::corrupt);
}

TEST(SealedChunk, DecryptRejectsTheWrongKeyAndTheWrongKind) {
  auto key = crypto::SecretKey::generate();
  SealedChunk c = seal_chunk(key, ChunkKind::data, pattern(100));
  EXPECT_EQ(decrypt_chunk(crypto::SecretKey::generate(), ChunkKind::data, c.bytes).error().code, Errc::corrupt);
  EXPECT_EQ(decrypt_chunk(key, ChunkKind::manifest, c.bytes).error().code, Errc::corrupt);
}

TEST(SealedChunk, DecryptRejectsTruncatedUnknownVersionAndOversizedInput) {
  auto key = crypto::SecretKey::generate();
  SealedChunk c = seal_chunk(key, ChunkKind::data, pattern(10));
  EXPECT_EQ(decrypt_chunk(key, ChunkKind::data, ByteView(c.bytes).first(kChunkOverhead - 1)).error().code,
            Errc::truncated);
  Bytes future = c.bytes;
  future[0] = 2;
  auto r = decrypt_chunk(key, ChunkKind::data, future);
  EXPECT_EQ(r.error().code, Errc::bad_version);
  EXPECT_NE(r.error().message.find("version 2"), std::string::npos);
  Bytes huge(kMaxSealedChunkSize + 1, 1);
  huge[0] = kChunkFormatVersion;
  EXPECT_EQ(decrypt_chunk(key, ChunkKind::data, huge).error().code, Errc::too_large);
}

TEST(SealedChunk, DecryptIntoABufferOfTheOpenedSizeGivesThePlaintext) {
  auto key = crypto::SecretKey::generate();
  SealedChunk c = seal_chunk(key, ChunkKind::data, pattern(5000));
  ASSERT_EQ(opened_size(c.bytes).value(), 5000u);
  Bytes out(5000, 0xEE);
  ASSERT_TRUE(decrypt_chunk_into(key, ChunkKind::data, c.bytes, out).ok());
  EXPECT_EQ(out, pattern(5000));
}

TEST(SealedChunk, DecryptIntoRefusesABufferOfAnotherSize) {
  auto key = crypto::SecretKey::generate();
  SealedChunk c = seal_chunk(key, ChunkKind::data, pattern(100));
  Bytes small(99);
  EXPECT_EQ(decrypt_chunk_into(key, ChunkKind::data, c.bytes, small).error().code, Errc::invalid_argument);
}

TEST(SealedChunk, DecryptIntoLeavesNoPlaintextBehindWhenTheTagFails) {
  auto key = crypto::SecretKey::generate();
  SealedChunk c = seal_chunk(key, ChunkKind::data, pattern(100));
  c.bytes[20] ^= 1;
  Bytes out(100, 0xEE);
  EXPECT_EQ(decrypt_chunk_into(key, ChunkKind::data, c.bytes, out).error().code, Errc::corrupt);
  EXPECT_EQ(out, Bytes(100, 0));
}

TEST(SealedChunk, OpenedSizeChecksTheEnvelopeLikeDecrypt) {
  SealedChunk c = seal_chunk(crypto::SecretKey::generate(), ChunkKind::data, pattern(10));
  EXPECT_EQ(opened_size(ByteView(c.bytes).first(kChunkOverhead - 1)).error().code, Errc::truncated);
  c.bytes[0] = 2;
  EXPECT_EQ(opened_size(c.bytes).error().code, Errc::bad_version);
}

TEST(SealedChunk, CiphertextCarriesNoTraceOfAPlaintextMarker) {
  auto key = crypto::SecretKey::generate();
  std::string marker = "DFS-PLAINTEXT-MARKER-";
  std::string text;
  while (text.size() < 100000) text += marker;
  SealedChunk c = seal_chunk(key, ChunkKind::data, as_bytes(text));
  std::string sealed(c.bytes.begin(), c.bytes.end());
  EXPECT_EQ(sealed.find("DFS-PLAIN"), std::string::npos);
}

}  // namespace
}  // namespace dfs
