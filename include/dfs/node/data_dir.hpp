// DataDir: a peer's data directory, opened once per process, and the parts
// on it that everything running in the process shares — the Node (puts,
// gets, status, GC), the P2P engine (it serves `store`, repairs `cache`,
// records `leases`) and a mount's filesystem (all of them, and the pool).
// Whoever assembles a peer (daemon::Daemon, or Node::open for a command
// run alone) opens it and hands its parts to each; nothing reaches them
// through another part.
//
// Layout:
//   store/          chunks this peer is responsible for (store/disk_chunk_store.hpp)
//   held/           chunks other peers put here, under their own budget
//                   (NodeOptions::storage_for_others), never the owner's quota
//   cache/          chunks of its own files that other peers are responsible for
//   index.sqlite    the index (index/index.hpp)
//
// Every part is thread-safe on its own; the DataDir must outlive whoever
// was given its parts.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "dfs/chunk/manifest.hpp"
#include "dfs/index/index.hpp"
#include "dfs/node/leases.hpp"
#include "dfs/store/disk_chunk_store.hpp"
#include "dfs/store/in_flight.hpp"
#include "dfs/util/worker_pool.hpp"

namespace dfs::node {

struct NodeOptions {
  std::string data_dir;
  std::uint64_t quota_bytes = 0;           // 0 = unlimited
  // The budget for chunks other peers put here (held/), apart from the
  // owner's quota: strangers can never make the owner's put fail.
  std::uint64_t storage_for_others = replicate::kDefaultStorageForOthers;
  std::uint32_t chunk_size = kDefaultChunkSize;
  std::size_t threads = 0;                 // 0 = one per core
  bool durable = true;                     // fsync chunks before they count
  // How long a chunk received from another peer is kept unless renewed.
  std::chrono::seconds lease_length = kDefaultLeaseLength;
};

class DataDir {
 public:
  // Creates the directory if needed, opens the stores and the index, and
  // leases the chunks of a store older than leases.
  static Result<std::unique_ptr<DataDir>> open(const NodeOptions& options);
  ~DataDir();
  DataDir(const DataDir&) = delete;
  DataDir& operator=(const DataDir&) = delete;

  const NodeOptions& options() const { return options_; }
  store::DiskChunkStore& store() { return *store_; }
  store::DiskChunkStore& cache() { return *cache_; }
  // Chunks other peers put here (PUT_CHUNK), under their own budget.
  store::DiskChunkStore& held() { return *held_; }
  // What the peer serves to others: store/ and held/ as one store
  // (store/served_store.hpp).
  store::ChunkStore& served() { return *served_; }
  // One connection to the index per process.
  index::Index& index() { return *index_; }
  // Chunks being put and not yet in the index: whoever puts into the
  // stores holds them here, so that GC keeps off.
  store::InFlightChunks& in_flight() { return in_flight_; }
  // Where the chunk service records leases on chunks received from peers.
  LeaseBook& leases() { return *leases_; }
  // The CPU threads of the process for hashing and AES (one set per
  // process, shared by puts and the mount).
  WorkerPool& pool() { return pool_; }

 private:
  DataDir(NodeOptions options, std::unique_ptr<store::DiskChunkStore> store, std::unique_ptr<store::DiskChunkStore> held,
          std::unique_ptr<store::DiskChunkStore> cache, std::unique_ptr<index::Index> index);

  NodeOptions options_;
  std::unique_ptr<store::DiskChunkStore> store_;
  std::unique_ptr<store::DiskChunkStore> held_;
  std::unique_ptr<store::ChunkStore> served_;  // store_ and held_
  std::unique_ptr<store::DiskChunkStore> cache_;
  std::unique_ptr<index::Index> index_;
  store::InFlightChunks in_flight_;
  std::unique_ptr<LeaseBook> leases_;
  WorkerPool pool_;
};

// Leases every chunk `store` holds, once, if the index predates leases.
Status lease_chunks_from_before_leases(store::ChunkStore& store, index::Index& index, std::chrono::seconds length);

}  // namespace dfs::node
