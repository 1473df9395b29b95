// NodeId: a 256-bit Kademlia identifier and the XOR metric (DESIGN.md §4).
//
// A peer's node ID is the SHA-256 of its public key (computed by net/, which
// also checks it in the handshake). Keys of the DHT (chunk IDs, record keys)
// live in the same space, so "the peers closest to a chunk" is a question of
// XOR distance between a NodeId and ChunkId::bytes.
//
// Distances are compared as 256-bit big-endian unsigned integers, so the
// most significant differing bit decides, and bucket i of a routing table
// holds the contacts at distance [2^i, 2^(i+1)) from its owner.
#pragma once

#include <array>
#include <bit>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <string_view>

#include "dfs/chunk/chunk_id.hpp"
#include "dfs/util/result.hpp"

namespace dfs::dht {

inline constexpr std::size_t kIdBytes = 32;
inline constexpr std::size_t kIdBits = 8 * kIdBytes;

struct NodeId {
  std::array<std::uint8_t, kIdBytes> bytes{};

  // A uniformly random ID from the OS CSPRNG (tests, lookups of random keys).
  static NodeId random();
  // A uniformly random ID from `rng`: deterministic, for simulations and for
  // the bucket-refresh targets of a seeded Dht. Not for identities.
  static NodeId random(std::mt19937_64& rng);
  // The DHT key of a chunk: the chunk ID itself (both are SHA-256 values).
  static NodeId from_chunk(const ChunkId& id) { return NodeId{id.bytes}; }
  // Parses 64 hex characters; Errc::invalid_argument otherwise.
  static Result<NodeId> from_hex(std::string_view text);

  // The all-zero ID marks a contact whose ID is not known yet (a bootstrap
  // address); no real peer has it (SHA-256 preimage).
  bool is_zero() const;
  // 64 lowercase hex characters.
  std::string hex() const;
  // First 12 hex characters, for logs.
  std::string short_hex() const { return hex().substr(0, 12); }

  // The i-th 64-bit word (0..3) as a big-endian number, so that comparing
  // words in order compares the IDs numerically. Comparisons go through
  // this rather than memcmp because they are the simulator's hot path.
  std::uint64_t word(std::size_t i) const {
    std::uint64_t w;
    std::memcpy(&w, bytes.data() + 8 * i, sizeof w);
    if constexpr (std::endian::native == std::endian::little) w = __builtin_bswap64(w);
    return w;
  }

  // Numeric (big-endian) order of the raw IDs; see closer() for distances.
  friend bool operator==(const NodeId& a, const NodeId& b) {
    return a.word(0) == b.word(0) && a.word(1) == b.word(1) && a.word(2) == b.word(2) && a.word(3) == b.word(3);
  }
  friend std::strong_ordering operator<=>(const NodeId& a, const NodeId& b) {
    for (std::size_t i = 0; i < kIdBytes / 8; ++i) {
      if (auto c = a.word(i) <=> b.word(i); c != 0) return c;
    }
    return std::strong_ordering::equal;
  }
};

// XOR distance, itself a 256-bit big-endian number (so distance(a, b) < distance(a, c)
// compares with operator<).
NodeId distance(const NodeId& a, const NodeId& b);

// Number of leading bits `a` and `b` share: 0..256 (256 when equal).
std::size_t common_prefix_length(const NodeId& a, const NodeId& b);

// Index of the k-bucket of `self`'s routing table that holds `other`:
// 255 - common_prefix_length, i.e. floor(log2(distance)). Precondition:
// other != self (the table never holds its owner).
std::size_t bucket_index(const NodeId& self, const NodeId& other);

// True when `a` is strictly closer to `target` than `b` (XOR metric). Two
// different IDs are never at the same distance from a target.
inline bool closer(const NodeId& target, const NodeId& a, const NodeId& b) {
  for (std::size_t i = 0; i < kIdBytes / 8; ++i) {
    const std::uint64_t t = target.word(i);
    const std::uint64_t da = a.word(i) ^ t;
    const std::uint64_t db = b.word(i) ^ t;
    if (da != db) return da < db;
  }
  return false;
}

// A uniformly random ID that falls into bucket `index` of `self`'s table:
// shares exactly 255 - index leading bits with self. Used to refresh a bucket.
NodeId random_id_in_bucket(const NodeId& self, std::size_t index, std::mt19937_64& rng);

}  // namespace dfs::dht

template <>
struct std::hash<dfs::dht::NodeId> {
  std::size_t operator()(const dfs::dht::NodeId& id) const noexcept {
    // IDs are uniform hashes already; any 8 bytes will do.
    std::size_t h;
    std::memcpy(&h, id.bytes.data(), sizeof h);
    return h;
  }
};
