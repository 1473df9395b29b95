// The DHT's RPCs as plain structs (DESIGN.md §4): PING, FIND_NODE,
// FIND_VALUE and STORE. net/ encodes them on the wire; the simulator passes
// them as they are. The limits below are part of the protocol: a decoder
// rejects a message above them before allocating, and Dht::handle never
// produces one above them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <variant>
#include <vector>

#include "dfs/dht/contact.hpp"
#include "dfs/util/bytes.hpp"
#include "dfs/util/result.hpp"

namespace dfs::dht {

// A record is metadata (e.g. "who holds chunk X"), not file data.
inline constexpr std::size_t kMaxRecordValueSize = 1024;
// A node keeps at most this many records under one key, one per publisher.
inline constexpr std::size_t kMaxRecordsPerKey = 16;
// FIND_NODE / FIND_VALUE responses carry at most this many contacts (k is
// capped to it, see DhtConfig).
inline constexpr std::size_t kMaxContactsPerResponse = 64;

// A metadata record stored on the k nodes closest to its key. Records are
// soft state: a node drops a record when its TTL runs out, and the
// publisher keeps it alive by republishing (Dht::put_record).
struct Record {
  NodeId key;
  Bytes value;  // at most kMaxRecordValueSize bytes
  // Seconds the record lives from when a node receives it. In responses,
  // the time it has left on the responding node.
  std::uint32_t ttl_seconds = 0;
  // The node that published it; a key holds one record per publisher. Not
  // authenticated by the DHT: a value that matters must be signed by the
  // application inside `value`.
  NodeId publisher;

  bool operator==(const Record&) const = default;
};

// Errc::invalid_argument for a zero key/publisher or a zero TTL,
// Errc::too_large for a value above kMaxRecordValueSize, and for a signed
// value (dht/signed_record.hpp) what verify_signed_record says.
Status validate_record(const Record& record);

struct PingRequest {
  bool operator==(const PingRequest&) const = default;
};
struct FindNodeRequest {
  NodeId target;
  bool operator==(const FindNodeRequest&) const = default;
};
struct FindValueRequest {
  NodeId key;
  bool operator==(const FindValueRequest&) const = default;
};
struct StoreRequest {
  Record record;
  bool operator==(const StoreRequest&) const = default;
};
using Request = std::variant<PingRequest, FindNodeRequest, FindValueRequest, StoreRequest>;

struct PingResponse {
  bool operator==(const PingResponse&) const = default;
};
// The responder's k closest known contacts to the target (never the asker).
struct FindNodeResponse {
  std::vector<Contact> contacts;
  bool operator==(const FindNodeResponse&) const = default;
};
// The records the responder holds under the key (possibly none) and, as for
// FIND_NODE, its closest known contacts to the key.
struct FindValueResponse {
  std::vector<Record> records;
  std::vector<Contact> contacts;
  bool operator==(const FindValueResponse&) const = default;
};
// Whether the responder kept the record (false: invalid, or its store full).
struct StoreResponse {
  bool stored = false;
  bool operator==(const StoreResponse&) const = default;
};
using Response = std::variant<PingResponse, FindNodeResponse, FindValueResponse, StoreResponse>;

// "PING", "FIND_NODE", ... for logs.
const char* request_name(const Request& request);

}  // namespace dfs::dht
