// Node: one peer's local side. It owns the chunk store and the index of a
// data directory and turns files into sealed chunks and back.
//
// For now a node is a lone peer (the P2P engine comes on top of it); every
// operation runs against the data directory alone. Hashing and AES run on a
// worker pool sized to the cores, with a bounded window of chunks in flight
// so that memory stays flat whatever the file size (DESIGN.md §6).
//
// Data directory layout:
//   store/          the chunk store (store/disk_chunk_store.hpp)
//   index.sqlite    the index (index/index.hpp)
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dfs/chunk/file_id.hpp"
#include "dfs/chunk/manifest.hpp"
#include "dfs/index/index.hpp"
#include "dfs/store/chunk_store.hpp"
#include "dfs/util/worker_pool.hpp"

namespace dfs::node {

struct NodeOptions {
  std::string data_dir;
  std::uint64_t quota_bytes = 0;           // 0 = unlimited
  std::uint32_t chunk_size = kDefaultChunkSize;
  std::size_t threads = 0;                 // 0 = one per core
  bool durable = true;                     // fsync chunks before they count
};

// Called from the calling thread with the bytes processed so far.
using ProgressFn = std::function<void(std::uint64_t bytes_done)>;

struct NodeStatus {
  std::string data_dir;
  store::Usage usage;
  std::uint64_t files = 0;             // files put on this peer
  std::uint64_t referenced_chunks = 0; // chunks the index still needs
};

class Node {
 public:
  static Result<std::unique_ptr<Node>> open(const NodeOptions& options);
  ~Node();

  // Reads `fd` to its end, stores every chunk and the manifest, records the
  // file under `name` and returns its File ID. On failure nothing of this
  // file is left in the store or the index.
  Result<FileId> put(int fd, const std::string& name, const ProgressFn& progress = {});

  // Writes the file named by `id` to `out_fd`, verifying every chunk.
  // Errc::not_found if the manifest or a chunk is absent, Errc::corrupt if
  // one fails its hash or authentication.
  Status get(const FileId& id, int out_fd, const ProgressFn& progress = {});

  // Total size of the file named by `id` (reads its manifest only).
  Result<std::uint64_t> size_of(const FileId& id);

  Result<std::vector<index::FileRecord>> list();
  Result<NodeStatus> status();

  store::ChunkStore& chunk_store() { return *store_; }

 private:
  Node(NodeOptions options, std::unique_ptr<store::ChunkStore> store, std::unique_ptr<index::Index> index);
  Result<Manifest> load(const FileId& id);
  Status store_chunks_in_order(int fd, const std::string& name, const crypto::SecretKey& key, Manifest& manifest,
                               std::vector<ChunkId>& stored, const ProgressFn& progress);
  void forget_chunks(const std::vector<ChunkId>& ids);

  NodeOptions options_;
  std::unique_ptr<store::ChunkStore> store_;
  std::unique_ptr<index::Index> index_;
  WorkerPool pool_;
};

}  // namespace dfs::node
