#include "dfs/replicate/config.hpp"

#include <string>

#include "dfs/dht/messages.hpp"

namespace dfs::replicate {

Status ReplicationConfig::validate() const {
  auto bad = [](const char* what) {
    return make_error(Errc::invalid_argument, std::string("replication config: ") + what);
  };
  if (replicas == 0 || replicas > dht::kMaxContactsPerResponse) return bad("replicas must be in 1..64");
  if (parallel_transfers == 0) return bad("parallel_transfers must be at least 1");
  if (transfer_timeout.count() <= 0) return bad("transfer_timeout must be positive");
  if (small_network_ttl.count() < 0) return bad("small_network_ttl must not be negative");
  if (fetch_parallelism == 0) return bad("fetch_parallelism must be at least 1");
  if (fetch_hedge_delay.count() < 0) return bad("fetch_hedge_delay must not be negative");
  if (fetch_timeout.count() <= 0) return bad("fetch_timeout must be positive");
  if (repair_interval.count() <= 0) return bad("repair_interval must be positive");
  if (!(repair_jitter >= 0.0 && repair_jitter < 1.0)) return bad("repair_jitter must be in [0, 1)");
  if (repair_chunks_per_round == 0) return bad("repair_chunks_per_round must be at least 1");
  if (repair_copies_per_round == 0) return bad("repair_copies_per_round must be at least 1");
  if (repair_lookups_in_flight == 0) return bad("repair_lookups_in_flight must be at least 1");
  if (has_batch_size == 0 || has_batch_size > kMaxHasChunksBatch) return bad("has_batch_size must be in 1..1024");
  if (distrust_period.count() < 0) return bad("distrust_period must not be negative");
  return {};
}

}  // namespace dfs::replicate
