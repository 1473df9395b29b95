// Fuzzes the sealed chunk envelope: decrypt_chunk and open_chunk on bytes
// from disk or a peer, and seal/open as a pair.
//
// The first input byte picks what the rest is:
//   bit 0 = 0: sealed bytes, opened under the fixed key (the seeds hold real
//              chunks sealed under it, so the success path is reached);
//   bit 0 = 1: plaintext, sealed and then opened, tampered and misused.
//   bit 1    : the chunk kind (data or manifest).
// A forged tag is out of reach of a fuzzer, so the second mode is what
// checks that tampering, a wrong kind and a wrong key are all refused.
#include "dfs/chunk/sealed_chunk.hpp"
#include "fuzz_common.hpp"

namespace {
using namespace dfs;

ChunkKind other(ChunkKind kind) { return kind == ChunkKind::data ? ChunkKind::manifest : ChunkKind::data; }

void open_untrusted(const crypto::SecretKey& key, ChunkKind kind, ByteView sealed) {
  auto plain = decrypt_chunk(key, kind, sealed);
  if (plain.ok()) {
    FUZZ_CHECK(plain->size() + kChunkOverhead == sealed.size());
    // The kind is authenticated: one sealed chunk never opens as both.
    FUZZ_CHECK(!decrypt_chunk(key, other(kind), sealed).ok());
  }
  // With the right ID, open_chunk is exactly decrypt_chunk...
  const ChunkId id = ChunkId::of(sealed);
  auto opened = open_chunk(key, kind, id, sealed);
  FUZZ_CHECK(opened.ok() == plain.ok());
  if (opened.ok()) FUZZ_CHECK(*opened == *plain);
  // ...and with any other ID it refuses before decrypting.
  ChunkId wrong = id;
  wrong.bytes[0] ^= 1;
  auto refused = open_chunk(key, kind, wrong, sealed);
  FUZZ_CHECK(!refused.ok() && refused.error().code == Errc::corrupt);
}

void seal_then_open(const crypto::SecretKey& key, ChunkKind kind, ByteView plaintext) {
  const SealedChunk sealed = seal_chunk(key, kind, plaintext);
  FUZZ_CHECK(sealed.bytes.size() == plaintext.size() + kChunkOverhead);
  auto opened = open_chunk(key, kind, sealed.id, sealed.bytes);
  FUZZ_CHECK(opened.ok());
  FUZZ_CHECK(*opened == Bytes(plaintext.begin(), plaintext.end()));

  FUZZ_CHECK(!decrypt_chunk(key, other(kind), sealed.bytes).ok());
  FUZZ_CHECK(!decrypt_chunk(crypto::SecretKey::generate(), kind, sealed.bytes).ok());

  // Flip one bit, at a place chosen by the input, anywhere in the envelope.
  Bytes tampered = sealed.bytes;
  const std::size_t pos = plaintext.empty() ? 0 : plaintext[0] * 257u % tampered.size();
  tampered[pos] ^= static_cast<std::uint8_t>(1u << (plaintext.size() % 8));
  auto bad = decrypt_chunk(key, kind, tampered);
  FUZZ_CHECK(!bad.ok());
  FUZZ_CHECK(bad.error().code == (pos == 0 ? Errc::bad_version : Errc::corrupt));
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static const crypto::SecretKey key = fuzz::fixed_key();
  const ChunkKind kind = (data[0] & 2) != 0 ? ChunkKind::manifest : ChunkKind::data;
  const ByteView rest(data + 1, size - 1);
  if ((data[0] & 1) == 0) {
    open_untrusted(key, kind, rest);
  } else {
    seal_then_open(key, kind, rest);
  }
  return 0;
}
