#include "dfs/node/node.hpp"

#include <ctime>

#include "dfs/chunk/chunker.hpp"
#include "dfs/store/chunk_source.hpp"
#include "dfs/store/disk_chunk_store.hpp"
#include "dfs/store/version_writer.hpp"
#include "dfs/util/file.hpp"
#include "dfs/util/log.hpp"

namespace dfs::node {

namespace {
// Chunks in flight per worker: enough to keep every core busy while the
// reader or writer waits on the disk, few enough to bound memory
// (each holds a plaintext and a sealed copy of one chunk).
constexpr std::size_t kChunksInFlightPerThread = 2;
// Chunk fetches a get keeps in flight when chunks come from peers.
constexpr std::size_t kRemoteFetchesInFlight = 16;

}  // namespace

Result<std::unique_ptr<Node>> Node::open(const NodeOptions& options) {
  DFS_TRY(make_dirs(options.data_dir));
  store::DiskStoreOptions store_options;
  store_options.quota_bytes = options.quota_bytes;
  store_options.durable = options.durable;
  DFS_ASSIGN_OR_RETURN(auto disk, store::DiskChunkStore::open(options.data_dir + "/store", store_options));
  store::DiskStoreOptions cache_options;
  cache_options.durable = options.durable;
  DFS_ASSIGN_OR_RETURN(auto cache, store::DiskChunkStore::open(options.data_dir + "/cache", cache_options));
  DFS_ASSIGN_OR_RETURN(auto index, index::Index::open(options.data_dir + "/index.sqlite"));
  DFS_TRY(lease_chunks_from_before_leases(*disk, *index, options.lease_length));
  return std::unique_ptr<Node>(new Node(options, std::move(disk), std::move(cache), std::move(index)));
}

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

Node::Node(NodeOptions options, std::unique_ptr<store::DiskChunkStore> store,
           std::unique_ptr<store::DiskChunkStore> cache, std::unique_ptr<index::Index> index)
    : options_(std::move(options)),
      store_(std::move(store)),
      cache_(std::move(cache)),
      index_(std::move(index)),
      leases_(std::make_unique<LeaseBook>(*index_, in_flight_, options_.lease_length)),
      gc_(*store_, *cache_, *index_, in_flight_, leases_.get()),
      source_(make_source()),
      pool_(options_.threads) {}

// `dfs get` writes what it fetched out to a file: keeping it in the cache
// too would only cost a write per chunk (and GC a delete).
std::unique_ptr<store::ChunkStore> Node::make_source() {
  store::ChunkChain chain{store_.get(), cache_.get(), {}, /*keep_fetched=*/false};
  if (ChunkNetwork* network = network_) chain.fetch = [network](const ChunkId& id) { return network->fetch(id); };
  return store::make_chunk_source(chain);
}

Node::~Node() = default;

Result<GcReport> Node::collect_garbage(const GcOptions& options) { return gc_.collect(options); }

void Node::start_gc(std::chrono::milliseconds interval, const GcOptions& options) {
  // Leases are flushed often: a crash loses only those not yet flushed.
  const auto lease_flush = std::min<std::chrono::milliseconds>(interval, std::chrono::seconds(5));
  gc_loop_ = std::make_unique<GcLoop>(gc_, *leases_, interval, lease_flush, options);
}

Status Node::store_chunks_in_order(int fd, const std::string& name, const store::VersionWriter& writer,
                                   store::PutBatch& batch, Manifest& manifest, std::vector<ChunkId>& stored,
                                   const ProgressFn& progress) {
  Chunker chunker(fd, manifest.chunk_size, name);
  OrderedPipeline<Result<ChunkRef>> pipeline(pool_, pool_.size() * kChunksInFlightPerThread);
  Status failure;
  std::uint64_t done = 0;
  // Runs in order on this thread: the manifest lists chunks in file order.
  // It takes every result, even after a failure, so that each chunk stored
  // lands in `stored` and the caller can remove it.
  auto collect = [&](Result<ChunkRef> ref) {
    if (!ref.ok()) {
      if (failure.ok()) failure = ref.take_error();
      return true;
    }
    stored.push_back(ref->id);
    if (failure.ok()) {
      manifest.add_chunk(*ref);
      done += ref->plain_size;
      if (progress) progress(done, 0);
    }
    return true;
  };
  while (failure.ok()) {
    auto plaintext = std::make_shared<Bytes>();
    auto more = chunker.next(*plaintext);
    if (!more.ok()) {
      failure = more.take_error();
      break;
    }
    if (!*more) break;
    // The writer's sink (the stream) may wait for its window: that bounds
    // the sealed bytes held while the network catches up.
    pipeline.push([&writer, &batch, plaintext] { return writer.write_chunk(*plaintext, batch); }, collect);
  }
  // Every job must finish before we return: they reference `writer`.
  pipeline.drain(collect);
  manifest.file_size = chunker.bytes_read();
  return failure;
}

void Node::forget_chunks(const std::vector<ChunkId>& ids) {
  for (const ChunkId& id : ids) {
    Status removed = store_->remove(id);
    if (!removed.ok() && removed.error().code != Errc::not_found) {
      log::warn("could not remove chunk " + id.short_hex() + " of a failed put: " + removed.error().to_string());
    }
  }
}

Result<PutOutcome> Node::put(int fd, const std::string& name, const PutOptions& options,
                             const ProgressFn& progress) {
  const std::uint32_t chunk_size = options.chunk_size ? options.chunk_size : options_.chunk_size;
  if (chunk_size < kMinChunkSize || chunk_size > kMaxChunkSize) {
    return make_error(Errc::invalid_argument, "chunk size " + std::to_string(chunk_size) + " is outside [" +
                                                  std::to_string(kMinChunkSize) + ", " +
                                                  std::to_string(kMaxChunkSize) + "]");
  }
  std::vector<ChunkId> stored;
  // Chunks go to their peers as they are sealed, not after the whole file.
  std::unique_ptr<ReplicationStream> stream = network_ ? network_->start_replication() : nullptr;
  Result<FileId> id = put_locally(fd, name, chunk_size, stored, progress, stream.get());
  // Copies already placed of a failed put are left to the peers' GC.
  if (!id.ok()) return id.take_error();
  return replicate(std::move(id).value(), stream.get());
}

Result<FileId> Node::put_locally(int fd, const std::string& name, std::uint32_t chunk_size,
                                 std::vector<ChunkId>& stored, const ProgressFn& progress,
                                 ReplicationStream* stream) {
  FileId id;
  Manifest manifest;
  manifest.chunk_size = chunk_size;
  store::SealedSink sink;
  if (stream) sink = [stream](const ChunkId& c, std::shared_ptr<const Bytes> sealed) { stream->add(c, std::move(sealed)); };
  // Chunks go to their peers as they are sealed, not after the whole file.
  const store::VersionWriter writer(std::move(sink));
  // Chunks and manifest are durable (one sync for all, the batch's commit)
  // before the index names the manifest, so a crash at any point leaves
  // only unreferenced chunks behind, never a file with missing parts. GC
  // keeps off each chunk from before its put until record_file
  // (in_flight.hpp).
  store::InFlightChunks::Hold hold = in_flight_.hold();
  std::unique_ptr<store::PutBatch> batch = store::InFlightChunks::tracked(store_->begin_batch(), hold);
  Status status = store_chunks_in_order(fd, name, writer, *batch, manifest, stored, progress);
  if (status.ok()) {
    auto written = writer.write_manifest(manifest, *batch);
    if (written.ok()) {
      stored.insert(stored.end(), written->segments.begin(), written->segments.end());
      id.manifest = written->head;
      id.key = written->key;
      status = batch->commit();
    } else {
      status = written.take_error();
    }
  }
  if (status.ok()) {
    index::FileRecord record{id.manifest,         id.key.bytes(),          name, manifest.file_size,
                             manifest.chunk_size, manifest.chunk_count(), std::time(nullptr)};
    status = index_->record_file(record, stored);
  }
  if (!status.ok()) {
    batch.reset();  // discards what it had not committed
    forget_chunks(stored);
    return status.take_error();
  }
  return id;
}

// Places the file's chunks on the network. Chunks that other peers are
// responsible for move from the store to the cache: the store holds what
// this peer serves as one of the R closest, so every chunk sits in exactly
// R stores, while the owner keeps a copy of its own files at hand.
PutOutcome Node::replicate(FileId id, ReplicationStream* stream) {
  PutOutcome outcome{std::move(id), 1, 1};
  if (!stream) return outcome;
  ReplicationSummary summary = stream->finish();
  outcome.replicas_wanted = summary.wanted;
  outcome.replicas_min = summary.min_confirmed;
  move_to_cache(summary.not_ours);
  return outcome;
}

// A rename per chunk (the store and the cache share the data directory's
// filesystem): no read, hash or write of the bytes, which were checked
// when this peer sealed them. A rename is atomic, so a crash leaves each
// chunk in one of the two; one sync at the end makes the new names
// durable. Stores on two filesystems fall back to copying.
void Node::move_to_cache(const std::vector<ChunkId>& ids) {
  if (ids.empty()) return;
  std::vector<ChunkId> across_filesystems;
  for (const ChunkId& chunk : ids) {
    Result<bool> moved = cache_->move_from(*store_, chunk);
    if (!moved.ok()) {
      log::warn("could not move chunk " + chunk.short_hex() + " into the cache: " + moved.error().to_string());
    } else if (!*moved) {
      across_filesystems.push_back(chunk);
    }
  }
  if (Status synced = cache_->sync(); !synced.ok()) {
    log::warn("could not sync the chunks moved into the cache: " + synced.error().to_string());
  }
  copy_to_cache(across_filesystems);
}

// The store's get verifies each chunk, so the cache takes the bytes as
// verified, and one sync covers them all; a chunk leaves the store only
// once its cached copy is durable.
void Node::copy_to_cache(const std::vector<ChunkId>& ids) {
  if (ids.empty()) return;
  std::unique_ptr<store::PutBatch> batch = cache_->begin_batch();
  std::vector<ChunkId> copied;
  for (const ChunkId& chunk : ids) {
    auto bytes = store_->get(chunk);
    if (bytes.ok() && batch->put_verified(chunk, *bytes).ok()) copied.push_back(chunk);
  }
  if (Status committed = batch->commit(); !committed.ok()) {
    log::warn("could not move chunks held for others into the cache: " + committed.error().to_string());
    return;
  }
  for (const ChunkId& chunk : copied) (void)store_->remove(chunk);
}

Result<Bytes> Node::find_chunk(const ChunkId& id) { return source_->get(id); }

Result<Manifest> Node::load(const FileId& id) {
  auto manifest = load_manifest(id.key, id.manifest, [this](const ChunkId& c) { return find_chunk(c); });
  if (!manifest.ok() && manifest.error().code == Errc::not_found) {
    return make_error(Errc::not_found, std::string(network_ ? "no peer" : "this peer") +
                                           " holds a file with that ID (manifest " + id.manifest.short_hex() +
                                           " not found)");
  }
  return manifest;
}

void Node::attach_network(ChunkNetwork* network) {
  network_ = network;
  source_ = make_source();
  if (network_ && !fetch_pool_) fetch_pool_ = std::make_unique<WorkerPool>(kRemoteFetchesInFlight);
}

Status Node::get(const FileId& id, int out_fd, const ProgressFn& progress) {
  DFS_ASSIGN_OR_RETURN(Manifest manifest, load(id));
  WorkerPool& pool = network_ ? *fetch_pool_ : pool_;
  OrderedPipeline<Result<Bytes>> pipeline(pool, network_ ? kRemoteFetchesInFlight
                                                         : pool_.size() * kChunksInFlightPerThread);
  Status failure;
  std::uint64_t done = 0;
  auto write_out = [&](Result<Bytes> plaintext) {
    if (plaintext.ok()) {
      Status written = write_full(out_fd, *plaintext, "output");
      if (written.ok()) {
        done += plaintext->size();
        if (progress) progress(done, manifest.file_size);
        return true;
      }
      plaintext = written.take_error();
    }
    failure = plaintext.take_error();
    return false;
  };
  // Disk reads of the chunks ahead start while the workers hash and
  // decrypt the current ones (the reads would otherwise idle the CPU).
  const std::size_t read_ahead = 2 * pool_.size() * kChunksInFlightPerThread;
  auto prefetch = [&](std::uint64_t i) {
    if (const ChunkRef* ref = manifest.chunk(i)) store_->prefetch(ref->id);
  };
  const std::uint64_t count = manifest.chunk_count();
  for (std::uint64_t i = 0; i < std::min<std::uint64_t>(read_ahead, count); ++i) prefetch(i);
  for (std::uint64_t i = 0; i < count; ++i) {
    if (i + read_ahead < count) prefetch(i + read_ahead);
    const ChunkRef* entry = manifest.chunk(i);
    std::optional<ChunkRef> ref = entry ? std::optional<ChunkRef>(*entry) : std::nullopt;
    bool keep_going = pipeline.push(
        [this, ref = std::move(ref), hole = manifest.length_of(i), i]() -> Result<Bytes> {
          if (!ref) return Bytes(hole, 0);  // a hole: never stored
          // Stores and the network verify the hash; only decryption is left.
          auto sealed = find_chunk(ref->id);
          if (!sealed.ok()) {
            Error e = sealed.take_error();
            e.message = "chunk " + std::to_string(i) + " of the file: " + e.message;
            return e;
          }
          return open_data_chunk(*ref, *sealed);
        },
        write_out);
    if (!keep_going) break;
  }
  pipeline.drain(write_out);
  return failure;
}

Result<std::vector<FileSummary>> Node::list() {
  DFS_ASSIGN_OR_RETURN(auto records, index_->list_files());
  std::vector<FileSummary> files;
  files.reserve(records.size());
  for (const auto& r : records) {
    FileId id{r.manifest, crypto::SecretKey::from_bytes(r.key)};
    files.push_back({id.to_string(), r.name, r.size, r.added_at_unix});
  }
  return files;
}

Result<ServiceStatus> Node::status() {
  ServiceStatus s;
  s.data_dir = options_.data_dir;
  s.usage = store_->usage();
  s.cache = cache_->usage();
  DFS_ASSIGN_OR_RETURN(auto files, index_->list_files());
  s.files = files.size();
  DFS_ASSIGN_OR_RETURN(s.referenced_chunks, index_->referenced_chunk_count());
  if (network_) {
    const replicate::NetworkStatus net = network_->status();
    s.networked = true;
    s.node_id = net.node_id;
    s.listen_address = net.listen_address;
    s.peers = net.peers;
    s.replicas = net.replicas;
    s.health = net.health;
    s.repair_copies = net.repair_copies;
    s.limits = net.limits;
  }
  return s;
}

Result<std::vector<PeerSummary>> Node::peers() {
  if (!network_) return std::vector<PeerSummary>{};
  return network_->peers();
}

}  // namespace dfs::node
