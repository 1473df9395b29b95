#include "dfs/dht/signed_record.hpp"

#include <algorithm>
#include <cstring>
#include <string_view>

namespace dfs::dht {

namespace {

constexpr std::string_view kKeyDomain = "dfs signed record key v1";
constexpr std::string_view kSignDomain = "dfs signed record v1";
constexpr std::size_t kSequenceOffset = 1 + crypto::kPublicKeySize;
constexpr std::size_t kPayloadOffset = kSequenceOffset + 8;

Bytes signed_message(const crypto::PublicKey& public_key, ByteView head_and_payload) {
  // head_and_payload starts with the version byte and public key; what is
  // signed is the domain, then everything from the public key on.
  Bytes message(kSignDomain.begin(), kSignDomain.end());
  message.insert(message.end(), public_key.begin(), public_key.end());
  message.insert(message.end(), head_and_payload.begin() + kSequenceOffset, head_and_payload.end());
  return message;
}

std::uint64_t read_sequence(ByteView value) {
  std::uint64_t sequence = 0;
  for (std::size_t i = 0; i < 8; ++i) sequence = (sequence << 8) | value[kSequenceOffset + i];
  return sequence;
}

}  // namespace

NodeId signed_record_key(const crypto::PublicKey& public_key) {
  Bytes input(kKeyDomain.begin(), kKeyDomain.end());
  input.insert(input.end(), public_key.begin(), public_key.end());
  NodeId id;
  const crypto::Digest digest = crypto::sha256(input);
  std::copy(digest.begin(), digest.end(), id.bytes.begin());
  return id;
}

bool is_signed_value(ByteView value) { return !value.empty() && value[0] == kSignedValueVersion; }

Result<Bytes> encode_signed_value(const crypto::SigningKey& key, std::uint64_t sequence, ByteView payload) {
  if (payload.size() > kMaxSignedPayload) {
    return make_error(Errc::too_large, "a signed record's payload of " + std::to_string(payload.size()) +
                                           " bytes exceeds " + std::to_string(kMaxSignedPayload));
  }
  Bytes value;
  value.reserve(kSignedValueOverhead + payload.size());
  value.push_back(kSignedValueVersion);
  value.insert(value.end(), key.public_key().begin(), key.public_key().end());
  for (int shift = 56; shift >= 0; shift -= 8) value.push_back(static_cast<std::uint8_t>(sequence >> shift));
  value.insert(value.end(), payload.begin(), payload.end());
  const crypto::Signature signature = key.sign(signed_message(key.public_key(), value));
  value.insert(value.end(), signature.begin(), signature.end());
  return value;
}

Result<SignedValue> decode_signed_value(ByteView value) {
  if (value.size() > kMaxRecordValueSize) return make_error(Errc::too_large, "a signed record above the value limit");
  if (value.empty()) return make_error(Errc::truncated, "an empty signed record");
  if (value[0] != kSignedValueVersion) return make_error(Errc::bad_version, "not a signed record (version byte)");
  if (value.size() < kSignedValueOverhead) return make_error(Errc::truncated, "a signed record shorter than its header");
  SignedValue out;
  std::memcpy(out.public_key.data(), value.data() + 1, crypto::kPublicKeySize);
  out.sequence = read_sequence(value);
  const ByteView body = value.first(value.size() - crypto::kSignatureSize);
  crypto::Signature signature{};
  std::memcpy(signature.data(), value.data() + body.size(), crypto::kSignatureSize);
  if (!crypto::verify_signature(out.public_key, signed_message(out.public_key, body), signature)) {
    return make_error(Errc::corrupt, "a signed record whose signature does not verify");
  }
  out.payload.assign(body.begin() + kPayloadOffset, body.end());
  return out;
}

Result<SignedValue> verify_signed_record(const Record& record) {
  DFS_ASSIGN_OR_RETURN(SignedValue value, decode_signed_value(record.value));
  if (signed_record_key(value.public_key) != record.key) {
    return make_error(Errc::corrupt, "a signed record stored under another writer's key");
  }
  return value;
}

std::optional<std::uint64_t> signed_sequence(const Record& record) {
  if (!is_signed_value(record.value) || record.value.size() < kSignedValueOverhead) return std::nullopt;
  return read_sequence(record.value);
}

bool later_copy(const Record& a, const Record& b) {
  const auto sa = signed_sequence(a);
  const auto sb = signed_sequence(b);
  if (sa && sb && *sa != *sb) return *sa > *sb;
  return a.ttl_seconds > b.ttl_seconds;
}

Result<SignedValue> latest_signed(const std::vector<Record>& records, const crypto::PublicKey& public_key,
                                  std::uint64_t at_least) {
  std::optional<SignedValue> best;
  for (const Record& record : records) {
    auto value = verify_signed_record(record);
    if (!value.ok() || value->public_key != public_key) continue;
    if (!best || value->sequence > best->sequence) best = std::move(*value);
  }
  if (!best) return make_error(Errc::not_found, "no record signed by this key");
  if (best->sequence < at_least) {
    return make_error(Errc::corrupt, "peers serve sequence " + std::to_string(best->sequence) +
                                         ", older than " + std::to_string(at_least) + " seen before: a rollback");
  }
  return std::move(*best);
}

}  // namespace dfs::dht
