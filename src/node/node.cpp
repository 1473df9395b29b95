#include "dfs/node/node.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <map>

#include "dfs/chunk/chunker.hpp"
#include "dfs/node/recovery.hpp"
#include "dfs/replicate/config.hpp"
#include "dfs/store/chunk_source.hpp"
#include "dfs/store/disk_chunk_store.hpp"
#include "dfs/store/served_store.hpp"
#include "dfs/store/version_reader.hpp"
#include "dfs/store/version_writer.hpp"
#include "dfs/util/adaptive_window.hpp"
#include "dfs/util/file.hpp"
#include "dfs/util/log.hpp"

namespace dfs::node {


Result<std::unique_ptr<Node>> Node::open(const NodeOptions& options) {
  DFS_ASSIGN_OR_RETURN(std::unique_ptr<DataDir> dir, DataDir::open(options));
  auto node = std::make_unique<Node>(*dir);
  node->own_dir_ = std::move(dir);
  return node;
}

Node::Node(DataDir& dir)
    : options_(dir.options()),
      store_(&dir.store()),
      served_(&dir.served()),
      cache_(&dir.cache()),
      held_(&dir.held()),
      index_(&dir.index()),
      in_flight_(dir.in_flight()),
      leases_(&dir.leases()),
      pool_(dir.pool()),
      gc_(*store_, *cache_, *index_, in_flight_, leases_, unix_seconds, held_),
      source_(make_source()) {}

namespace {

// Whether the last chunk this thread looked for through the chain came
// from a peer: the chain's last link sets it, and runs on the caller's
// thread (ChunkNetwork::fetch waits for the answer). A get's window
// measures only those (util/adaptive_window.hpp).
thread_local bool t_fetched_from_peer = false;

}  // namespace

// `dfs get` writes what it fetched out to a file: keeping it in the cache
// too would only cost a write per chunk (and GC a delete).
std::unique_ptr<store::ChunkStore> Node::make_source() {
  store::ChunkChain chain{served_, cache_, {}, /*keep_fetched=*/false};
  if (ChunkNetwork* network = network_) {
    chain.fetch = [network](const ChunkId& id) {
      t_fetched_from_peer = true;
      return network->fetch(id);
    };
  }
  return store::make_chunk_source(chain);
}

Node::~Node() = default;

Result<GcReport> Node::collect_garbage(const GcOptions& options) { return gc_.collect(options); }

Result<std::vector<std::optional<HeldLease>>> Node::leases(const std::vector<ChunkId>& ids) {
  if (ids.size() > kMaxLeaseQuery) {
    return make_error(Errc::too_large, "a lease query of " + std::to_string(ids.size()) + " chunks (at most " +
                                           std::to_string(kMaxLeaseQuery) + ")");
  }
  DFS_TRY(leases_->flush());
  std::vector<std::optional<HeldLease>> held;
  held.reserve(ids.size());
  for (const ChunkId& id : ids) {
    DFS_ASSIGN_OR_RETURN(auto lease, index_->lease_of(id));
    if (lease) {
      held.push_back(HeldLease{lease->expires_at, lease->placer_key});
    } else {
      held.emplace_back();
    }
  }
  return held;
}

void Node::start_gc(std::chrono::milliseconds interval, const GcOptions& options) {
  // Leases are flushed often: a crash loses only those not yet flushed.
  const auto lease_flush = std::min<std::chrono::milliseconds>(interval, std::chrono::seconds(5));
  gc_loop_ = std::make_unique<GcLoop>(gc_, *leases_, interval, lease_flush, options);
}

Status Node::store_chunks_in_order(int fd, const std::string& name, const store::VersionWriter& writer,
                                   store::PutBatch& batch, Manifest& manifest, std::vector<ChunkId>& stored,
                                   const ProgressFn& progress, Sealing sealing) {
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
    auto seal = [&writer, &batch, plaintext] { return writer.write_chunk(*plaintext, batch); };
    if (sealing == Sealing::on_this_thread) {
      collect(seal());
    } else {
      pipeline.push(seal, collect);
    }
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

Result<std::uint32_t> Node::chunk_size_for(const PutOptions& options) const {
  const std::uint32_t chunk_size = options.chunk_size ? options.chunk_size : options_.chunk_size;
  if (chunk_size < kMinChunkSize || chunk_size > kMaxChunkSize) {
    return make_error(Errc::invalid_argument, "chunk size " + std::to_string(chunk_size) + " is outside [" +
                                                  std::to_string(kMinChunkSize) + ", " +
                                                  std::to_string(kMaxChunkSize) + "]");
  }
  return chunk_size;
}

Result<PutOutcome> Node::put(int fd, const std::string& name, const PutOptions& options,
                             const ProgressFn& progress) {
  DFS_ASSIGN_OR_RETURN(const std::uint32_t chunk_size, chunk_size_for(options));
  // Chunks go to their peers as they are sealed, not after the whole file.
  std::unique_ptr<ReplicationStream> stream = network_ ? network_->start_replication() : nullptr;
  auto body = [&](const store::VersionWriter& writer, store::PutBatch& batch,
                  std::vector<ChunkId>& stored) -> Result<index::FileRecord> {
    Manifest manifest;
    manifest.chunk_size = chunk_size;
    DFS_ASSIGN_OR_RETURN(FileId id, write_file(fd, name, writer, batch, manifest, stored, progress));
    return index::FileRecord{id.manifest, id.key.bytes(), name, manifest.file_size, manifest.chunk_size,
                             manifest.chunk_count()};
  };
  Result<FileId> id = put_locally(body, stream.get());
  // Copies already placed of a failed put are left to the peers' GC.
  if (!id.ok()) return id.take_error();
  return replicate(std::move(id).value(), stream.get());
}

Result<FileId> Node::write_file(int fd, const std::string& name, const store::VersionWriter& writer,
                                store::PutBatch& batch, Manifest& manifest, std::vector<ChunkId>& stored,
                                const ProgressFn& progress, Sealing sealing) {
  DFS_TRY(store_chunks_in_order(fd, name, writer, batch, manifest, stored, progress, sealing));
  DFS_ASSIGN_OR_RETURN(store::WrittenManifest written, writer.write_manifest(manifest, batch));
  stored.insert(stored.end(), written.segments.begin(), written.segments.end());
  return written.id();
}

Result<FileId> Node::put_locally(const VersionBody& body, ReplicationStream* stream) {
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
  std::vector<ChunkId> stored;
  Result<index::FileRecord> record = body(writer, *batch, stored);
  Status status = record.ok() ? batch->commit() : Status(record.take_error());
  if (status.ok()) {
    record->added_at_unix = std::time(nullptr);
    status = index_->record_file(*record, stored);
  }
  if (!status.ok()) {
    batch.reset();  // discards what it had not committed
    forget_chunks(stored);
    return status.take_error();
  }
  return FileId{record->manifest, crypto::SecretKey::from_bytes(record->key),
                record->is_directory ? IdKind::directory : IdKind::file};
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

Result<Manifest> Node::load(const FileId& id, std::vector<ChunkId>* segments) {
  auto manifest = store::read_manifest(*source_, id, segments);
  if (!manifest.ok() && manifest.error().code == Errc::not_found) {
    return make_error(Errc::not_found, std::string(network_ ? "no peer" : "this peer") +
                                           " holds a file with that ID (manifest " + id.manifest.short_hex() +
                                           " not found)");
  }
  return manifest;
}

void Node::attach_network(ChunkNetwork* network) {
  // The peer's transfer cap must let a get's widest window out at once.
  static_assert(kMaxRemoteFetchesInFlight <= replicate::ReplicationConfig{}.parallel_transfers);
  network_ = network;
  source_ = make_source();
  if (network_ && !fetch_pool_) fetch_pool_ = std::make_unique<WorkerPool>(kMaxRemoteFetchesInFlight);
}

namespace {

// What get writes: a chunk's plaintext, or a run of holes, at `offset`.
// The plaintext buffer is not zero-filled before the decryption overwrites
// it (a Bytes of 1 MiB per chunk was: 1.3% of a remote get's CPU over all
// peers, with its page faults).
struct Piece {
  std::uint64_t offset = 0;
  std::shared_ptr<std::uint8_t[]> data;  // made for overwrite: not zeroed
  std::size_t length = 0;
  std::uint64_t hole = 0;  // bytes of zeros
  AdaptiveWindow::Served served = AdaptiveWindow::Served::locally;
  ByteView plaintext() const { return {data.get(), length}; }
  std::uint64_t size() const { return hole + length; }
};

// The data chunk `ref` from its verified `sealed` bytes (open_data_chunk,
// into a buffer of its own).
Result<Piece> open_piece(const ChunkRef& ref, ByteView sealed, std::uint64_t offset) {
  DFS_ASSIGN_OR_RETURN(const std::size_t size, opened_size(sealed));
  Piece piece{offset, std::make_shared_for_overwrite<std::uint8_t[]>(size), size};
  DFS_TRY(decrypt_chunk_into(ref.key, ChunkKind::data, sealed, MutableByteView(piece.data.get(), size)));
  DFS_TRY(check_plain_size(ref, size));
  return piece;
}

// Where get writes. A regular file (not opened to append) takes each piece
// at its offset from where the fd stood, in any order, so that one chunk
// slow to arrive does not stop the fetches behind it; holes are left
// unwritten (the copy stays sparse; finish() sets the size). Anything else
// (a pipe, a device) takes the pieces in order, holes written as zeros.
class Output {
 public:
  explicit Output(int fd) : fd_(fd) {
    struct stat st {};
    regular_ = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    const int flags = ::fcntl(fd, F_GETFL);
    const off_t at = regular_ && flags >= 0 && (flags & O_APPEND) == 0 ? ::lseek(fd, 0, SEEK_CUR) : -1;
    any_order_ = at >= 0;
    base_ = any_order_ ? static_cast<std::uint64_t>(at) : 0;
  }

  bool any_order() const { return any_order_; }

  Status write(const Piece& piece) {
    if (!any_order_) return piece.hole ? write_hole(piece.hole) : write_full(fd_, piece.plaintext(), "output");
    if (!piece.hole) DFS_TRY(pwrite_full(fd_, piece.plaintext(), base_ + piece.offset, "output"));
    written_.emplace(piece.offset, piece.offset + piece.size());
    while (!written_.empty() && written_.begin()->first == prefix_) {
      prefix_ = written_.begin()->second;
      written_.erase(written_.begin());
    }
    return {};
  }

  // Every piece of a file of `size` bytes was written: the size makes a
  // trailing hole, and the fd stands after the file.
  Status finish(std::uint64_t size) {
    if (!regular_) return {};
    const off_t end = any_order_ ? static_cast<off_t>(base_ + size) : ::lseek(fd_, 0, SEEK_CUR);
    if (end < 0 || ::ftruncate(fd_, end) != 0) return errno_error("setting the size of the output");
    if (any_order_ && ::lseek(fd_, end, SEEK_SET) < 0) return errno_error("seeking to the end of the output");
    return {};
  }

  // The get failed: nothing past the pieces written without a gap from
  // the start is left (as when pieces are written in order).
  void cut_after_prefix() {
    if (any_order_ && !written_.empty()) (void)::ftruncate(fd_, static_cast<off_t>(base_ + prefix_));
  }

 private:
  // A hole in order: seeks over it in a regular file, writes zeros to
  // anything else.
  Status write_hole(std::uint64_t length) {
    if (regular_) {
      if (::lseek(fd_, static_cast<off_t>(length), SEEK_CUR) < 0) return errno_error("seeking over a hole in the output");
      return {};
    }
    const Bytes zeros(static_cast<std::size_t>(std::min<std::uint64_t>(length, kDefaultChunkSize)), 0);
    for (std::uint64_t done = 0; done < length;) {
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(length - done, zeros.size()));
      DFS_TRY(write_full(fd_, ByteView(zeros).first(n), "output"));
      done += n;
    }
    return {};
  }

  int fd_;
  bool regular_ = false;
  bool any_order_ = false;
  std::uint64_t base_ = 0;    // the fd's offset when the get began (any order)
  std::uint64_t prefix_ = 0;  // bytes written without a gap from the start
  std::map<std::uint64_t, std::uint64_t> written_;  // pieces past the prefix: offset -> end
};

}  // namespace

Status Node::get(const FileId& id, int out_fd, const ProgressFn& progress) {
  DFS_ASSIGN_OR_RETURN(Manifest manifest, load(id));
  WorkerPool& pool = network_ ? *fetch_pool_ : pool_;
  // Local chunks need only the cores busy; remote ones the bandwidth-delay
  // product, measured as the get goes.
  const std::size_t local_window = pool_.size() * kChunksInFlightPerThread;
  AdaptiveWindow window(network_ ? kMinRemoteFetchesInFlight : local_window,
                        network_ ? kMaxRemoteFetchesInFlight : local_window, AdaptiveWindow::Clock::now());
  Output output(out_fd);
  Status failure;
  std::uint64_t done = 0;
  auto write_out = [&](Result<Piece> piece) {
    if (piece.ok()) window.completed(piece->length, AdaptiveWindow::Clock::now(), piece->served);
    if (piece.ok()) {
      Status written = output.write(*piece);
      if (written.ok()) {
        done += piece->size();
        if (progress) progress(done, manifest.file_size);
        return true;
      }
      piece = written.take_error();
    }
    failure = piece.take_error();
    return false;
  };
  // Disk reads of the chunks ahead start while the workers hash and
  // decrypt the current ones (the reads would otherwise idle the CPU).
  const std::size_t read_ahead = 2 * pool_.size() * kChunksInFlightPerThread;
  auto prefetch = [&](std::uint64_t i) {
    if (const ChunkRef* ref = manifest.chunk(i)) store_->prefetch(ref->id);
  };
  const std::uint64_t count = manifest.chunk_count();
  auto run = [&](auto& pipeline) {
    auto consume = [&](Result<Piece> piece) {
      const bool more = write_out(std::move(piece));
      pipeline.set_window(window.size());
      return more;
    };
    for (std::uint64_t i = 0; i < std::min<std::uint64_t>(read_ahead, count); ++i) prefetch(i);
    for (std::uint64_t i = 0; i < count;) {
      const std::uint64_t offset = i * manifest.chunk_size;
      if (const std::uint64_t next = manifest.next_stored(i); next > i) {  // a run of holes, one piece
        const std::uint64_t end = std::min<std::uint64_t>(manifest.file_size, next * manifest.chunk_size);
        const std::uint64_t hole = end - offset;
        if (!pipeline.push([offset, hole]() -> Result<Piece> { return Piece{offset, {}, 0, hole}; }, consume)) break;
        i = next;
        continue;
      }
      if (i + read_ahead < count) prefetch(i + read_ahead);
      bool keep_going = pipeline.push(
          [this, ref = *manifest.chunk(i), i, offset]() -> Result<Piece> {
            // Stores and the network verify the hash; only decryption is left.
            t_fetched_from_peer = false;
            auto sealed = find_chunk(ref.id);
            if (!sealed.ok()) {
              Error e = sealed.take_error();
              e.message = "chunk " + std::to_string(i) + " of the file: " + e.message;
              return e;
            }
            const auto served = t_fetched_from_peer ? AdaptiveWindow::Served::over_network : AdaptiveWindow::Served::locally;
            DFS_ASSIGN_OR_RETURN(Piece piece, open_piece(ref, *sealed, offset));
            piece.served = served;
            return piece;
          },
          consume);
      ++i;
      if (!keep_going) break;
    }
    pipeline.drain(consume);
  };
  if (output.any_order()) {
    CompletionPipeline<Result<Piece>> pipeline(pool, window.size());
    run(pipeline);
  } else {
    OrderedPipeline<Result<Piece>> pipeline(pool, window.size());
    run(pipeline);
  }
  if (network_) {
    log::info("get: " + std::to_string(count) + " chunks, up to " + std::to_string(window.size()) +
              " fetches in flight");
  }
  if (!failure.ok()) {
    output.cut_after_prefix();
    return failure;
  }
  return count > 0 ? output.finish(manifest.file_size) : Status{};
}

Result<std::vector<FileSummary>> Node::list() {
  DFS_ASSIGN_OR_RETURN(auto records, index_->list_files());
  std::vector<FileSummary> files;
  files.reserve(records.size());
  for (const auto& r : records) {
    FileId id{r.manifest, crypto::SecretKey::from_bytes(r.key), r.is_directory ? IdKind::directory : IdKind::file};
    files.push_back({id.to_string(), r.name, r.size, r.added_at_unix, r.is_directory, r.from_mount});
  }
  return files;
}

Result<ServiceStatus> Node::status() {
  ServiceStatus s;
  s.data_dir = options_.data_dir;
  s.lease_days = static_cast<std::uint32_t>(options_.lease_length.count() / 86400);
  s.usage = store_->usage();
  s.cache = cache_->usage();
  s.held = held_->usage();
  DFS_ASSIGN_OR_RETURN(auto files, index_->list_files());
  s.files = files.size();
  DFS_ASSIGN_OR_RETURN(s.referenced_chunks, index_->referenced_chunk_count());
  if (auto state = read_recovery_state(options_.data_dir + "/" + kRecoveryStateFile); state.ok()) {
    s.snapshot_sequence = state->sequence;
    if (!state->pointer.snapshots.empty()) {
      s.last_snapshot = state->pointer.snapshots.front();
      s.last_snapshot.root = FileId{};
    }
  }
  if (network_) {
    const replicate::NetworkStatus net = network_->status();
    s.networked = true;
    s.node_id = net.node_id;
    s.listen_address = net.listen_address;
    s.peers = net.peers;
    s.reachable = net.reachable;
    s.replicas = net.replicas;
    s.health = net.health;
    s.repair_copies = net.repair_copies;
    if (net.last_sweep_started > 0) s.leases_expire_from = net.last_sweep_started + options_.lease_length.count();
    s.limits = net.limits;
  }
  return s;
}

Result<std::vector<PeerSummary>> Node::peers() {
  if (!network_) return std::vector<PeerSummary>{};
  return network_->peers();
}

}  // namespace dfs::node
