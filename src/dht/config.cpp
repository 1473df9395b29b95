#include "dfs/dht/config.hpp"

#include <string>

#include "dfs/dht/messages.hpp"

namespace dfs::dht {

Status DhtConfig::validate() const {
  auto bad = [](const std::string& what) { return make_error(Errc::invalid_argument, "DHT config: " + what); };
  if (k == 0 || k > kMaxContactsPerResponse) return bad("k must be in 1.." + std::to_string(kMaxContactsPerResponse));
  if (alpha == 0 || alpha > k) return bad("alpha must be in 1..k");
  if (max_failures == 0) return bad("max_failures must be at least 1");
  if (ipv4_prefix_bits > 32 || ipv6_prefix_bits > 128) return bad("a network prefix is longer than its address");
  if (request_timeout.count() <= 0) return bad("request_timeout must be positive");
  if (bucket_refresh_interval.count() <= 0) return bad("bucket_refresh_interval must be positive");
  if (record_republish_interval.count() <= 0) return bad("record_republish_interval must be positive");
  if (record_replicate_interval.count() < 0) return bad("record_replicate_interval must not be negative");
  if (join_followup_delay.count() < 0) return bad("join_followup_delay must not be negative");
  if (record_expiry.count() <= 0) return bad("record_expiry must be positive");
  if (signed_record_expiry.count() <= 0) return bad("signed_record_expiry must be positive");
  if (maintenance_interval.count() <= 0) return bad("maintenance_interval must be positive");
  if (lost_contact_retry_interval.count() < 0) return bad("lost_contact_retry_interval must not be negative");
  return {};
}

}  // namespace dfs::dht
