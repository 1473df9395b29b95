// Signed mutable records: a DHT record only the holder of an Ed25519 key
// can write, whose newer versions replace older ones (issue 15: the
// pointer to a namespace's latest snapshot). The DHT itself checks them,
// so a storage peer keeps one per key, the highest sequence number, and
// never lets an older copy replace it.
//
// Value layout (the Record's value; kMaxRecordValueSize bounds it all):
//
//     version 0xA1 | public key (32) | sequence (8, big-endian) |
//     payload (≤ kMaxSignedPayload) | Ed25519 signature (64)
//
// The signature covers a domain string, the public key, the sequence and
// the payload. The record's key must be signed_record_key(public key), so a
// key names one writer. The payload is opaque here; its user encrypts it
// (crypto/recovery_key.hpp's pointer_key), so storage peers learn its size.
//
// Any value whose first byte is 0xA1 is a signed value: if it does not
// verify, the record is invalid (validate_record) and every peer drops it.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "dfs/crypto/signing.hpp"
#include "dfs/dht/messages.hpp"

namespace dfs::dht {

inline constexpr std::uint8_t kSignedValueVersion = 0xA1;
inline constexpr std::size_t kSignedValueOverhead = 1 + crypto::kPublicKeySize + 8 + crypto::kSignatureSize;
inline constexpr std::size_t kMaxSignedPayload = kMaxRecordValueSize - kSignedValueOverhead;

struct SignedValue {
  crypto::PublicKey public_key{};
  std::uint64_t sequence = 0;
  Bytes payload;
};

// The DHT key a writer's records live under: SHA-256 of a domain string and
// its public key.
NodeId signed_record_key(const crypto::PublicKey& public_key);

// True when `value` claims to be a signed value (its first byte).
bool is_signed_value(ByteView value);

// A value signed by `key`. Errc::too_large above kMaxSignedPayload.
Result<Bytes> encode_signed_value(const crypto::SigningKey& key, std::uint64_t sequence, ByteView payload);

// Parses and verifies a value: Errc::truncated / bad_version for a
// malformed one, Errc::corrupt for a bad signature. Bounded by
// kMaxRecordValueSize before any work.
Result<SignedValue> decode_signed_value(ByteView value);

// decode_signed_value, and the record's key is the writer's
// (signed_record_key); Errc::corrupt otherwise.
Result<SignedValue> verify_signed_record(const Record& record);

// The sequence number of a record already validated (no signature check):
// nullopt for a plain record.
std::optional<std::uint64_t> signed_sequence(const Record& record);

// Of two copies of one publisher's record, whether `a` is the later
// version: the higher sequence for signed records (a peer that got the newer
// one later may have less TTL left to report), else the one with more TTL
// left (published or republished later).
bool later_copy(const Record& a, const Record& b);

// Among `records` (as get_records returns them), the verified value written
// by `public_key` with the highest sequence. Errc::not_found when none
// verifies; Errc::corrupt when the highest is below `at_least` (a rollback:
// peers serving an older pointer than one this reader has seen).
Result<SignedValue> latest_signed(const std::vector<Record>& records, const crypto::PublicKey& public_key,
                                  std::uint64_t at_least = 0);

}  // namespace dfs::dht
