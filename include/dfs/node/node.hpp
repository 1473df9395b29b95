// Node: one peer's local side and its Service. It works on the parts of a
// data directory (node/data_dir.hpp: chunk store, cache, index, pool) and
// turns files into sealed chunks and back.
//
// Alone, every operation runs against the data directory. With a
// ChunkNetwork attached (a running peer), a put also places each chunk on
// the R peers closest to its ID, and a get fetches what the store lacks
// from them. Hashing and AES run on a worker pool sized to the cores, with
// a bounded window of chunks in flight so memory stays flat whatever the
// file size (DESIGN.md §6).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dfs/chunk/manifest.hpp"
#include "dfs/index/index.hpp"
#include "dfs/node/data_dir.hpp"
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

class Node final : public Service {
 public:
  // A Node alone on a data directory it opens and owns (`dfs put` with no
  // daemon running, tests).
  static Result<std::unique_ptr<Node>> open(const NodeOptions& options);
  // A Node on `dir`, opened and shared by whoever assembles the peer
  // (daemon::Daemon); `dir` must outlive it.
  explicit Node(DataDir& dir);
  ~Node() override;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // From now on puts replicate and gets fetch through `network` (not
  // owned; must outlive the Node or be detached with nullptr).
  void attach_network(ChunkNetwork* network);

  Result<PutOutcome> put(int fd, const std::string& name, const PutOptions& options,
                         const ProgressFn& progress) override;
  Status get(const FileId& id, int fd, const ProgressFn& progress) override;
  Result<std::vector<FileSummary>> list() override;
  // Trees (tree_put.cpp, tree_get.cpp).
  Result<PutOutcome> put_tree(int dirfd, const std::string& name, const PutOptions& options,
                              const ProgressFn& progress) override;
  Status get_tree(const FileId& id, int dirfd, const ProgressFn& progress) override;
  Result<Directory> list_directory(const FileId& id) override;
  Result<DirEntry> lookup(const FileId& root, const std::string& path) override;
  Status get_path(const FileId& root, const std::string& path, int fd, const ProgressFn& progress) override;
  Status remove(const FileId& id) override;
  Result<ServiceStatus> status() override;
  Result<std::vector<PeerSummary>> peers() override;

  // --- GC (node/gc.hpp) ---
  Result<GcReport> collect_garbage(const GcOptions& options) override;
  Result<FileLocation> locate(const FileId& id, bool repair) override;
  Result<std::vector<std::optional<HeldLease>>> leases(const std::vector<ChunkId>& ids) override;
  // From now on, GC runs every `interval` on a thread of its own (and
  // buffered leases are flushed every few seconds) until the Node closes.
  void start_gc(std::chrono::milliseconds interval, const GcOptions& options);

 private:
  // Chunks in flight per worker: enough to keep every core busy while the
  // reader or writer waits on the disk, few enough to bound memory
  // (each holds a plaintext and a sealed copy of one chunk).
  static constexpr std::size_t kChunksInFlightPerThread = 2;
  // Chunk fetches a get keeps in flight when chunks come from peers: from
  // the least, which fills a fast nearby link, up to the most (on the fetch
  // pool's threads), which a long round trip needs (util/adaptive_window.hpp).
  // The most bounds memory: each holds a sealed chunk and its plaintext.
  // ReplicationConfig::parallel_transfers is at least the most (node.cpp).
  static constexpr std::size_t kMinRemoteFetchesInFlight = 16;
  static constexpr std::size_t kMaxRemoteFetchesInFlight = 64;

  friend class TreeWriter;
  friend class TreeReader;

  Result<std::uint32_t> chunk_size_for(const PutOptions& options) const;
  // What a put stores: writes a version through `writer` and `batch` and
  // says how to record it (added_at is filled in).
  using VersionBody = std::function<Result<index::FileRecord>(const store::VersionWriter& writer, store::PutBatch& batch,
                                                              std::vector<ChunkId>& stored)>;
  // Runs `body` with a batch that GC keeps off, commits it, records the
  // item in the index; on failure removes whatever it stored. `stream`
  // (null for a lone peer) gets each chunk once it is stored.
  Result<FileId> put_locally(const VersionBody& body, ReplicationStream* stream);
  // How write_file seals a file's chunks: on the pool, several at once (a
  // large file), or one after another on the calling thread (a small file,
  // itself one job among many on the pool, as a tree's files are).
  enum class Sealing { on_pool, on_this_thread };
  // One file's chunks and manifest: its ID, and its size in `manifest`.
  Result<FileId> write_file(int fd, const std::string& name, const store::VersionWriter& writer, store::PutBatch& batch,
                            Manifest& manifest, std::vector<ChunkId>& stored, const ProgressFn& progress,
                            Sealing sealing = Sealing::on_pool);
  PutOutcome replicate(FileId id, ReplicationStream* stream);
  void move_to_cache(const std::vector<ChunkId>& ids);
  void copy_to_cache(const std::vector<ChunkId>& ids);
  // Reads the file into sealed chunks (store/version_writer.hpp).
  Status store_chunks_in_order(int fd, const std::string& name, const store::VersionWriter& writer,
                               store::PutBatch& batch, Manifest& manifest, std::vector<ChunkId>& stored,
                               const ProgressFn& progress, Sealing sealing);
  void forget_chunks(const std::vector<ChunkId>& ids);
  // A chunk from the store, the cache, or (when attached) the network:
  // through the chunk chain (store/chunk_source.hpp).
  Result<Bytes> find_chunk(const ChunkId& id);
  std::unique_ptr<store::ChunkStore> make_source();
  // `segments`: as store::read_manifest's.
  Result<Manifest> load(const FileId& id, std::vector<ChunkId>* segments = nullptr);
  // locate() steps (node/locate_file.cpp).
  struct ChunkWalk;
  // Every chunk of the file or tree `id`, each once; `files` counts its files.
  Result<std::vector<ChunkId>> chunks_of(const FileId& id, std::uint64_t& files);
  Status walk_file(const FileId& id, ChunkWalk& walk);
  Result<std::vector<replicate::ChunkLocation>> locate_chunks(const std::vector<ChunkId>& ids);
  std::uint64_t place_again(const std::vector<ChunkId>& ids);
  Status serve_here(const ChunkId& id);

  std::unique_ptr<DataDir> own_dir_;  // set by open(); null when the DataDir is shared
  // The parts of dir_ used here, named once.
  const NodeOptions& options_;
  store::DiskChunkStore* store_;
  store::ChunkStore* served_;  // store_ and held/ (what a get may find here)
  store::DiskChunkStore* cache_;
  store::DiskChunkStore* held_;  // chunks other peers put here (held/)
  index::Index* index_;
  store::InFlightChunks& in_flight_;
  LeaseBook* leases_;
  WorkerPool& pool_;
  GarbageCollector gc_;
  ChunkNetwork* network_ = nullptr;  // set before serving; read-only after
  std::unique_ptr<store::ChunkStore> source_;  // store → cache → network_; remade with it
  // With a network, a get's jobs mostly wait on peers, not on the CPU: a
  // wider pool keeps enough fetches in flight to fill the link.
  std::unique_ptr<WorkerPool> fetch_pool_;  // set with the network
  // Last: stopped first, before anything it uses goes.
  std::unique_ptr<GcLoop> gc_loop_;
};

}  // namespace dfs::node
