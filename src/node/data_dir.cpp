#include "dfs/node/data_dir.hpp"

#include "dfs/store/served_store.hpp"
#include "dfs/util/file.hpp"
#include "dfs/util/log.hpp"

namespace dfs::node {

Result<std::unique_ptr<DataDir>> DataDir::open(const NodeOptions& options) {
  DFS_TRY(make_dirs(options.data_dir));
  store::DiskStoreOptions store_options;
  store_options.quota_bytes = options.quota_bytes;
  store_options.durable = options.durable;
  DFS_ASSIGN_OR_RETURN(auto disk, store::DiskChunkStore::open(options.data_dir + "/store", store_options));
  store::DiskStoreOptions held_options;
  held_options.quota_bytes = options.storage_for_others;
  held_options.durable = options.durable;
  DFS_ASSIGN_OR_RETURN(auto held, store::DiskChunkStore::open(options.data_dir + "/held", held_options));
  store::DiskStoreOptions cache_options;
  cache_options.durable = options.durable;
  DFS_ASSIGN_OR_RETURN(auto cache, store::DiskChunkStore::open(options.data_dir + "/cache", cache_options));
  // Exclusive: the stores' LOCK files already keep any other process off
  // this data directory, and SQLite's per-statement locks were a tenth of
  // the mount's CPU when creating small files (issue 13).
  DFS_ASSIGN_OR_RETURN(auto index,
                       index::Index::open(options.data_dir + "/index.sqlite", index::Database::Sharing::exclusive));
  DFS_TRY(lease_chunks_from_before_leases(*disk, *index, options.lease_length));
  return std::unique_ptr<DataDir>(
      new DataDir(options, std::move(disk), std::move(held), std::move(cache), std::move(index)));
}

DataDir::DataDir(NodeOptions options, std::unique_ptr<store::DiskChunkStore> store,
                 std::unique_ptr<store::DiskChunkStore> held, std::unique_ptr<store::DiskChunkStore> cache,
                 std::unique_ptr<index::Index> index)
    : options_(std::move(options)),
      store_(std::move(store)),
      held_(std::move(held)),
      served_(std::make_unique<store::ServedStore>(*store_, *held_)),
      cache_(std::move(cache)),
      index_(std::move(index)),
      leases_(std::make_unique<LeaseBook>(*index_, in_flight_, options_.lease_length)),
      pool_(options_.threads) {}

DataDir::~DataDir() = default;

// A store older than leases (index schema v3) may hold chunks for other
// peers with no lease recorded: each gets a full lease once, so the first
// GC after the upgrade does not take them. (A new index does this on an
// empty store: nothing.)
Status lease_chunks_from_before_leases(store::ChunkStore& store, index::Index& index, std::chrono::seconds length) {
  DFS_ASSIGN_OR_RETURN(bool pending, index.leases_to_grant());
  if (!pending) return {};
  DFS_ASSIGN_OR_RETURN(std::vector<ChunkId> held, store.list());
  DFS_TRY(index.extend_leases(held, unix_seconds() + length.count()));
  if (!held.empty()) log::info("leased the " + std::to_string(held.size()) + " chunks stored before leases existed");
  return index.leases_granted();
}

}  // namespace dfs::node
