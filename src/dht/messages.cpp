#include "dfs/dht/messages.hpp"

#include <string>

#include "dfs/dht/signed_record.hpp"

namespace dfs::dht {

Status validate_record(const Record& record) {
  if (record.key.is_zero()) return make_error(Errc::invalid_argument, "a record needs a non-zero key");
  if (record.publisher.is_zero()) {
    return make_error(Errc::invalid_argument, "a record needs a non-zero publisher");
  }
  if (record.ttl_seconds == 0) return make_error(Errc::invalid_argument, "a record needs a TTL above 0");
  if (record.value.size() > kMaxRecordValueSize) {
    return make_error(Errc::too_large, "record value of " + std::to_string(record.value.size()) +
                                           " bytes exceeds the limit of " +
                                           std::to_string(kMaxRecordValueSize));
  }
  if (is_signed_value(record.value)) DFS_TRY(verify_signed_record(record));
  return {};
}

const char* request_name(const Request& request) {
  switch (request.index()) {
    case 0: return "PING";
    case 1: return "FIND_NODE";
    case 2: return "FIND_VALUE";
    case 3: return "STORE";
  }
  return "?";
}

}  // namespace dfs::dht
