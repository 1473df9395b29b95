#include "dfs/dht/node_id.hpp"

#include <algorithm>
#include <bit>
#include <cassert>

#include "dfs/crypto/crypto.hpp"
#include "dfs/util/encoding.hpp"

namespace dfs::dht {

NodeId NodeId::random() {
  NodeId id;
  crypto::random_bytes(id.bytes);
  return id;
}

NodeId NodeId::random(std::mt19937_64& rng) {
  NodeId id;
  for (std::size_t i = 0; i < kIdBytes; i += 8) {
    const std::uint64_t word = rng();
    for (std::size_t j = 0; j < 8; ++j) id.bytes[i + j] = static_cast<std::uint8_t>(word >> (8 * j));
  }
  return id;
}

Result<NodeId> NodeId::from_hex(std::string_view text) {
  if (text.size() != 2 * kIdBytes) {
    return make_error(Errc::invalid_argument,
                      "a node ID has 64 hex characters, got " + std::to_string(text.size()));
  }
  DFS_ASSIGN_OR_RETURN(Bytes raw, dfs::from_hex(text));
  NodeId id;
  std::copy(raw.begin(), raw.end(), id.bytes.begin());
  return id;
}

bool NodeId::is_zero() const {
  return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

std::string NodeId::hex() const { return to_hex(bytes); }

NodeId distance(const NodeId& a, const NodeId& b) {
  NodeId d;
  for (std::size_t i = 0; i < kIdBytes; ++i) d.bytes[i] = a.bytes[i] ^ b.bytes[i];
  return d;
}

std::size_t common_prefix_length(const NodeId& a, const NodeId& b) {
  for (std::size_t i = 0; i < kIdBytes; ++i) {
    const std::uint8_t x = a.bytes[i] ^ b.bytes[i];
    if (x != 0) return 8 * i + static_cast<std::size_t>(std::countl_zero(x));
  }
  return kIdBits;
}

std::size_t bucket_index(const NodeId& self, const NodeId& other) {
  const std::size_t cpl = common_prefix_length(self, other);
  assert(cpl < kIdBits && "the routing table never holds its owner");
  return kIdBits - 1 - std::min(cpl, kIdBits - 1);
}

NodeId random_id_in_bucket(const NodeId& self, std::size_t index, std::mt19937_64& rng) {
  assert(index < kIdBits);
  // Keep self's first `prefix` bits, flip the next one, randomize the rest.
  const std::size_t prefix = kIdBits - 1 - index;
  NodeId id = NodeId::random(rng);
  for (std::size_t bit = 0; bit <= prefix; ++bit) {
    const std::size_t byte = bit / 8;
    const auto mask = static_cast<std::uint8_t>(0x80u >> (bit % 8));
    const bool self_bit = (self.bytes[byte] & mask) != 0;
    const bool want = bit < prefix ? self_bit : !self_bit;
    id.bytes[byte] = static_cast<std::uint8_t>(want ? (id.bytes[byte] | mask) : (id.bytes[byte] & ~mask));
  }
  return id;
}

}  // namespace dfs::dht
