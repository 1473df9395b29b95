#include "dfs/replicate/keyed_renewal.hpp"

#include <string_view>

namespace dfs::replicate {
namespace {

constexpr std::string_view kDomain = "dfs keyed lease renewal v1";

// What is signed: a domain label (no signature of this key made for
// anything else can pass as a renewal), the two node IDs, the time, and a
// digest of the chunk IDs (so the message stays small for 1,024 of them).
Bytes renewal_message(const dht::NodeId& holder, const dht::NodeId& asker, std::int64_t issued_at,
                      std::span<const ChunkId> ids) {
  crypto::Sha256 hash;
  for (const ChunkId& id : ids) hash.update(id.bytes);
  const crypto::Digest digest = hash.finish();
  Bytes message(kDomain.begin(), kDomain.end());
  message.insert(message.end(), holder.bytes.begin(), holder.bytes.end());
  message.insert(message.end(), asker.bytes.begin(), asker.bytes.end());
  const auto when = static_cast<std::uint64_t>(issued_at);
  for (int shift = 56; shift >= 0; shift -= 8) message.push_back(static_cast<std::uint8_t>(when >> shift));
  message.insert(message.end(), digest.begin(), digest.end());
  return message;
}

}  // namespace

KeyedRenewal sign_renewal(const crypto::SigningKey& key, const dht::NodeId& holder, const dht::NodeId& asker,
                          std::int64_t issued_at, std::span<const ChunkId> ids) {
  KeyedRenewal renewal;
  renewal.key = key.public_key();
  renewal.issued_at = issued_at;
  renewal.signature = key.sign(renewal_message(holder, asker, issued_at, ids));
  return renewal;
}

bool verify_renewal(const KeyedRenewal& renewal, const dht::NodeId& holder, const dht::NodeId& asker,
                    std::span<const ChunkId> ids) {
  return crypto::verify_signature(renewal.key, renewal_message(holder, asker, renewal.issued_at, ids),
                                  renewal.signature);
}

}  // namespace dfs::replicate
