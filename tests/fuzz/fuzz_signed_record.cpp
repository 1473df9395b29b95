// Fuzzes decode_signed_value: signed records (a namespace's recovery
// pointer) arrive from any peer in STORE requests and FIND_VALUE replies.
//
// Properties: no out-of-bounds reads and no allocation beyond the value
// limit; an accepted value has the header, a payload of the rest and a
// signature that verifies, so it is accepted again under its writer's key
// and refused under any other.
#include "dfs/dht/signed_record.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dfs;
  const ByteView value(data, size);
  auto decoded = dht::decode_signed_value(value);
  if (!decoded.ok()) {
    FUZZ_CHECK(!decoded.error().message.empty());
    return 0;
  }
  FUZZ_CHECK(size >= dht::kSignedValueOverhead && size <= dht::kMaxRecordValueSize);
  FUZZ_CHECK(decoded->payload.size() == size - dht::kSignedValueOverhead);
  dht::Record record{dht::signed_record_key(decoded->public_key), Bytes(value.begin(), value.end()), 60, {}};
  record.publisher.bytes.fill(1);
  FUZZ_CHECK(dht::validate_record(record).ok());
  FUZZ_CHECK(dht::signed_sequence(record) == decoded->sequence);
  record.key.bytes[0] ^= 1;
  FUZZ_CHECK(!dht::validate_record(record).ok());
  return 0;
}
