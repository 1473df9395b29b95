// ChunkId: the SHA-256 of a chunk's sealed bytes (DESIGN.md §2). Anyone can
// check that bytes match an ID without a key; the ID says nothing about the
// plaintext.
#pragma once

#include <compare>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>

#include "dfs/crypto/crypto.hpp"

namespace dfs {

struct ChunkId {
  crypto::Digest bytes{};

  static ChunkId of(ByteView sealed) { return ChunkId{crypto::sha256(sealed)}; }
  // 64 lowercase hex characters.
  std::string hex() const;
  static Result<ChunkId> from_hex(std::string_view text);
  // First 12 hex characters, for logs and listings.
  std::string short_hex() const { return hex().substr(0, 12); }

  auto operator<=>(const ChunkId&) const = default;
};

}  // namespace dfs

template <>
struct std::hash<dfs::ChunkId> {
  std::size_t operator()(const dfs::ChunkId& id) const noexcept {
    // The ID is already a uniform hash; any 8 bytes of it will do.
    std::size_t h;
    std::memcpy(&h, id.bytes.data(), sizeof h);
    return h;
  }
};
