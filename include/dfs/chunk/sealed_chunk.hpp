// The sealed chunk format (DESIGN.md §2):
//
//     version (1 byte) | nonce (12) | ciphertext | tag (16)
//
// sealed with AES-256-GCM under the chunk's own key (manifest.hpp says
// which) and a random nonce. The authenticated data is the version byte and
// the chunk's kind (data, file manifest or directory snapshot), so no chunk
// can be opened as another kind, while the kind costs no byte on disk.
#pragma once

#include "dfs/chunk/chunk_id.hpp"

namespace dfs {

inline constexpr std::uint8_t kChunkFormatVersion = 1;
inline constexpr std::size_t kChunkOverhead = 1 + crypto::kNonceSize + crypto::kTagSize;

inline constexpr std::uint32_t kDefaultChunkSize = 1u << 20;  // 1 MiB
inline constexpr std::uint32_t kMinChunkSize = 4096;
inline constexpr std::uint32_t kMaxChunkSize = 16u << 20;     // a file parameter may not exceed this
// Hard bound on any sealed chunk accepted from disk or the network.
inline constexpr std::size_t kMaxSealedChunkSize = kMaxChunkSize + kChunkOverhead;

// pointer: a namespace's recovery pointer (recovery_pointer.hpp), sealed like a
// chunk but kept in a DHT record, never stored as a chunk.
enum class ChunkKind : std::uint8_t { data = 'D', manifest = 'M', directory = 'T', pointer = 'P' };

struct SealedChunk {
  ChunkId id;
  Bytes bytes;
};

// Seals `plaintext` (at most kMaxChunkSize bytes) with a fresh random nonce.
SealedChunk seal_chunk(const crypto::SecretKey& key, ChunkKind kind, ByteView plaintext);

// Verifies that `sealed` hashes to `id` (Errc::corrupt if not); needs no key.
Status verify_chunk(const ChunkId& id, ByteView sealed);

// Checks the envelope (size bounds, version) and decrypts. Fails with
// truncated / too_large / bad_version / corrupt (tag mismatch: wrong key,
// wrong kind or tampered bytes). Does not check the ID: see open_chunk.
Result<Bytes> decrypt_chunk(const crypto::SecretKey& key, ChunkKind kind, ByteView sealed);

// For a reader that decrypts into a buffer of its own (no zero-filled
// vector per chunk): the plaintext size `sealed` opens to, once its
// envelope checks out (truncated / too_large / bad_version otherwise).
Result<std::size_t> opened_size(ByteView sealed);
// decrypt_chunk into `out`, which must hold exactly opened_size(sealed)
// bytes (Errc::invalid_argument if not). On failure `out` is zeroed.
Status decrypt_chunk_into(const crypto::SecretKey& key, ChunkKind kind, ByteView sealed, MutableByteView out);

// verify_chunk then decrypt_chunk: what a reader does with bytes it fetched.
Result<Bytes> open_chunk(const crypto::SecretKey& key, ChunkKind kind, const ChunkId& id, ByteView sealed);

}  // namespace dfs
