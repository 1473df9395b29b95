// Node: one peer's local side and its Service. It owns the chunk store and
// the index of a data directory and turns files into sealed chunks and back.
//
// Alone, every operation runs against the data directory. With a
// ChunkNetwork attached (a running peer), a put also places each chunk on
// the R peers closest to its ID, and a get fetches what the store lacks
// from them. Hashing and AES run on a worker pool sized to the cores, with
// a bounded window of chunks in flight so memory stays flat whatever the
// file size (DESIGN.md §6).
//
// Data directory layout:
//   store/          chunks this peer is responsible for (store/disk_chunk_store.hpp)
//   cache/          chunks of its own files that other peers are responsible for
//   index.sqlite    the index (index/index.hpp)
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "dfs/chunk/manifest.hpp"
#include "dfs/index/index.hpp"
#include "dfs/replicate/chunk_network.hpp"
#include "dfs/node/gc.hpp"
#include "dfs/node/leases.hpp"
#include "dfs/node/service.hpp"
#include "dfs/store/version_writer.hpp"
#include "dfs/util/worker_pool.hpp"

namespace dfs::node {

// The network a node may be given (replicate/chunk_network.hpp).
using replicate::ChunkNetwork;
using replicate::ReplicationStream;
using replicate::ReplicationSummary;

struct NodeOptions {
  std::string data_dir;
  std::uint64_t quota_bytes = 0;           // 0 = unlimited
  std::uint32_t chunk_size = kDefaultChunkSize;
  std::size_t threads = 0;                 // 0 = one per core
  bool durable = true;                     // fsync chunks before they count
  // How long a chunk received from another peer is kept unless renewed.
  std::chrono::seconds lease_length = kDefaultLeaseLength;
};

// Leases every chunk `store` holds, once, if the index predates leases.
Status lease_chunks_from_before_leases(store::ChunkStore& store, index::Index& index, std::chrono::seconds length);

class Node final : public Service {
 public:
  static Result<std::unique_ptr<Node>> open(const NodeOptions& options);
  ~Node() override;

  // From now on puts replicate and gets fetch through `network` (not
  // owned; must outlive the Node or be detached with nullptr).
  void attach_network(ChunkNetwork* network);

  Result<PutOutcome> put(int fd, const std::string& name, const PutOptions& options,
                         const ProgressFn& progress) override;
  Status get(const FileId& id, int fd, const ProgressFn& progress) override;
  Result<std::vector<FileSummary>> list() override;
  Result<ServiceStatus> status() override;
  Result<std::vector<PeerSummary>> peers() override;

  store::ChunkStore& chunk_store() { return *store_; }
  store::ChunkStore& cache() { return *cache_; }
  // dfsmount's filesystem works on the same index and pool: one connection
  // to the index and one set of CPU threads per process (both thread-safe).
  index::Index& index() { return *index_; }
  WorkerPool& pool() { return pool_; }

  // --- GC and leases (node/gc.hpp, node/leases.hpp) ---
  // Chunks being put and not yet in the index: whoever else puts into
  // this node's stores (the filesystem) holds them here, so GC keeps off.
  store::InFlightChunks& in_flight() { return in_flight_; }
  // Where the chunk service records leases on chunks received from peers.
  replicate::LeaseRecorder& leases() { return *leases_; }
  Result<GcReport> collect_garbage(const GcOptions& options) override;
  Result<FileLocation> locate(const FileId& id, bool repair) override;
  // From now on, GC runs every `interval` on a thread of its own (and
  // buffered leases are flushed every few seconds) until the Node closes.
  void start_gc(std::chrono::milliseconds interval, const GcOptions& options);

 private:
  Node(NodeOptions options, std::unique_ptr<store::DiskChunkStore> store, std::unique_ptr<store::DiskChunkStore> cache,
       std::unique_ptr<index::Index> index);
  // `stream` (null for a lone peer) gets each chunk once it is stored.
  Result<FileId> put_locally(int fd, const std::string& name, std::uint32_t chunk_size, std::vector<ChunkId>& stored,
                             const ProgressFn& progress, ReplicationStream* stream);
  PutOutcome replicate(FileId id, ReplicationStream* stream);
  void move_to_cache(const std::vector<ChunkId>& ids);
  void copy_to_cache(const std::vector<ChunkId>& ids);
  // Reads the file into sealed chunks (store/version_writer.hpp) on the pool.
  Status store_chunks_in_order(int fd, const std::string& name, const store::VersionWriter& writer,
                               store::PutBatch& batch, Manifest& manifest, std::vector<ChunkId>& stored,
                               const ProgressFn& progress);
  void forget_chunks(const std::vector<ChunkId>& ids);
  // A chunk from the store, the cache, or (when attached) the network:
  // through the chunk chain (store/chunk_source.hpp).
  Result<Bytes> find_chunk(const ChunkId& id);
  std::unique_ptr<store::ChunkStore> make_source();
  Result<Manifest> load(const FileId& id);
  // locate() steps (node/locate_file.cpp).
  Result<std::vector<ChunkId>> chunks_of(const FileId& id);
  Result<std::vector<replicate::ChunkLocation>> locate_chunks(const std::vector<ChunkId>& ids);
  std::uint64_t place_again(const std::vector<ChunkId>& ids);
  Status serve_from_cache(const ChunkId& id);

  NodeOptions options_;
  std::unique_ptr<store::DiskChunkStore> store_;
  std::unique_ptr<store::DiskChunkStore> cache_;
  std::unique_ptr<index::Index> index_;
  store::InFlightChunks in_flight_;
  std::unique_ptr<LeaseBook> leases_;
  GarbageCollector gc_;
  ChunkNetwork* network_ = nullptr;  // set before serving; read-only after
  std::unique_ptr<store::ChunkStore> source_;  // store → cache → network_; remade with it
  WorkerPool pool_;
  // With a network, a get's jobs mostly wait on peers, not on the CPU: a
  // wider pool keeps enough fetches in flight to fill the link.
  std::unique_ptr<WorkerPool> fetch_pool_;  // set with the network
  // Last: stopped first, before anything it uses goes.
  std::unique_ptr<GcLoop> gc_loop_;
};

}  // namespace dfs::node
