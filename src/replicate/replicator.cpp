// Replicator: the configuration brought into range once, and the parts
// built on it.
#include "dfs/replicate/replicator.hpp"

#include <algorithm>

#include "dfs/util/log.hpp"

namespace dfs::replicate {

namespace {

// Brings every field into range, so that a bad option degrades to a
// working node (with a warning) instead of a broken one.
ReplicationConfig sanitize(ReplicationConfig c, std::size_t dht_k) {
  if (Status s = c.validate(); !s.ok()) log::warn(s.error().to_string() + "; using the nearest valid value");
  const ReplicationConfig defaults;
  c.replicas = std::clamp<std::size_t>(c.replicas, 1, std::max<std::size_t>(dht_k, 1));
  c.parallel_transfers = std::max<std::size_t>(c.parallel_transfers, 1);
  c.fetch_parallelism = std::max<std::size_t>(c.fetch_parallelism, 1);
  c.repair_chunks_per_round = std::max<std::size_t>(c.repair_chunks_per_round, 1);
  c.repair_copies_per_round = std::max<std::size_t>(c.repair_copies_per_round, 1);
  c.repair_lookups_in_flight = std::max<std::size_t>(c.repair_lookups_in_flight, 1);
  c.has_batch_size = std::clamp<std::size_t>(c.has_batch_size, 1, kMaxHasChunksBatch);
  auto positive = [](milliseconds& v, milliseconds fallback) {
    if (v.count() <= 0) v = fallback;
  };
  positive(c.transfer_timeout, defaults.transfer_timeout);
  positive(c.fetch_timeout, defaults.fetch_timeout);
  positive(c.repair_interval, defaults.repair_interval);
  c.fetch_hedge_delay = std::max(c.fetch_hedge_delay, milliseconds(0));
  c.small_network_ttl = std::max(c.small_network_ttl, milliseconds(0));
  c.distrust_period = std::max(c.distrust_period, milliseconds(0));
  if (!(c.repair_jitter >= 0.0 && c.repair_jitter < 1.0)) c.repair_jitter = defaults.repair_jitter;
  return c;
}

}  // namespace

Replicator::Replicator(dht::Dht& dht, ChunkClient& client, store::ChunkStore& store, Scheduler& scheduler,
                       ReplicationConfig config, BlockingRunner* runner, store::ChunkStore* owned,
                       ReferencedChunks referenced, PlacerKeyOf lease_keys)
    : config_(sanitize(config, dht.config().k)),
      distrusted_(scheduler, config_.distrust_period),
      transfers_(client, scheduler, runner, config_.parallel_transfers, config_.transfer_timeout),
      // R holders and R stand-ins for copies refused (placement.hpp).
      peers_(dht, scheduler, config_.small_network_ttl, 2 * config_.replicas, distrusted_),
      placer_(dht, peers_, transfers_, LocalChunks{store, owned, {}}, scheduler, runner, config_.replicas, counters_),
      fetcher_(dht, peers_, transfers_, scheduler, runner, config_, counters_),
      repairer_(dht, transfers_, LocalChunks{store, owned, std::move(lease_keys)}, scheduler, runner, config_, counters_, distrusted_,
                std::move(referenced)),
      locator_(dht, peers_, transfers_, LocalChunks{store, owned, {}}, scheduler, runner, config_.replicas,
               config_.has_batch_size) {}

// The parts cut their callbacks as they are destroyed, the users of
// Transfers and ClosestPeers before those.
Replicator::~Replicator() = default;

}  // namespace dfs::replicate
