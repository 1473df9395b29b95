#include "dfs/chunk/sealed_chunk.hpp"

#include <algorithm>

namespace dfs {

namespace {
std::array<std::uint8_t, 2> associated_data(ChunkKind kind) {
  return {kChunkFormatVersion, static_cast<std::uint8_t>(kind)};
}
}  // namespace

SealedChunk seal_chunk(const crypto::SecretKey& key, ChunkKind kind, ByteView plaintext) {
  crypto::Nonce nonce;
  crypto::random_bytes(nonce);
  SealedChunk out;
  out.bytes.resize(kChunkOverhead + plaintext.size());
  out.bytes[0] = kChunkFormatVersion;
  std::copy(nonce.begin(), nonce.end(), out.bytes.begin() + 1);
  auto aad = associated_data(kind);
  crypto::aes256gcm_seal(key, nonce, aad, plaintext,
                         MutableByteView(out.bytes).subspan(1 + crypto::kNonceSize));
  out.id = ChunkId::of(out.bytes);
  return out;
}

Status verify_chunk(const ChunkId& id, ByteView sealed) {
  if (ChunkId::of(sealed) != id) {
    return make_error(Errc::corrupt, "chunk " + id.short_hex() + " does not match its ID (" +
                                         std::to_string(sealed.size()) + " bytes hash elsewhere)");
  }
  return {};
}

Result<std::size_t> opened_size(ByteView sealed) {
  if (sealed.size() < kChunkOverhead) {
    return make_error(Errc::truncated, "sealed chunk of " + std::to_string(sealed.size()) +
                                           " bytes is shorter than its " + std::to_string(kChunkOverhead) +
                                           "-byte envelope");
  }
  if (sealed.size() > kMaxSealedChunkSize) {
    return make_error(Errc::too_large, "sealed chunk of " + std::to_string(sealed.size()) +
                                           " bytes exceeds the limit of " + std::to_string(kMaxSealedChunkSize));
  }
  if (sealed[0] != kChunkFormatVersion) {
    return make_error(Errc::bad_version, "sealed chunk has format version " + std::to_string(sealed[0]) +
                                             ", this build reads version " + std::to_string(kChunkFormatVersion));
  }
  return sealed.size() - kChunkOverhead;
}

Status decrypt_chunk_into(const crypto::SecretKey& key, ChunkKind kind, ByteView sealed, MutableByteView out) {
  DFS_ASSIGN_OR_RETURN(const std::size_t size, opened_size(sealed));
  if (out.size() != size) {
    return make_error(Errc::invalid_argument, "a " + std::to_string(out.size()) + "-byte buffer for a chunk of " +
                                                  std::to_string(size) + " bytes");
  }
  crypto::Nonce nonce;
  std::copy_n(sealed.begin() + 1, crypto::kNonceSize, nonce.begin());
  auto aad = associated_data(kind);
  Status opened = crypto::aes256gcm_open(key, nonce, aad, sealed.subspan(1 + crypto::kNonceSize), out);
  if (!opened.ok()) {
    const char* what = kind == ChunkKind::manifest    ? "manifest"
                       : kind == ChunkKind::directory ? "directory snapshot"
                                                      : "data chunk";
    return make_error(Errc::corrupt, std::string(what) + " failed authentication: wrong key, wrong kind or tampered bytes");
  }
  return {};
}

Result<Bytes> decrypt_chunk(const crypto::SecretKey& key, ChunkKind kind, ByteView sealed) {
  DFS_ASSIGN_OR_RETURN(const std::size_t size, opened_size(sealed));
  Bytes plaintext(size);
  DFS_TRY(decrypt_chunk_into(key, kind, sealed, plaintext));
  return plaintext;
}

Result<Bytes> open_chunk(const crypto::SecretKey& key, ChunkKind kind, const ChunkId& id, ByteView sealed) {
  DFS_TRY(verify_chunk(id, sealed));
  return decrypt_chunk(key, kind, sealed);
}

}  // namespace dfs
