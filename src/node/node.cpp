#include "dfs/node/node.hpp"

#include <ctime>

#include "dfs/chunk/chunker.hpp"
#include "dfs/store/disk_chunk_store.hpp"
#include "dfs/util/file.hpp"
#include "dfs/util/log.hpp"

namespace dfs::node {

namespace {
// Chunks in flight per worker: enough to keep every core busy while the
// reader or writer waits on the disk, few enough to bound memory
// (each holds a plaintext and a sealed copy of one chunk).
constexpr std::size_t kChunksInFlightPerThread = 2;

struct StoredChunk {
  Result<ChunkRef> ref;
};
}  // namespace

Result<std::unique_ptr<Node>> Node::open(const NodeOptions& options) {
  DFS_TRY(make_dirs(options.data_dir));
  store::DiskStoreOptions store_options;
  store_options.quota_bytes = options.quota_bytes;
  store_options.durable = options.durable;
  DFS_ASSIGN_OR_RETURN(auto disk, store::DiskChunkStore::open(options.data_dir + "/store", store_options));
  DFS_ASSIGN_OR_RETURN(auto index, index::Index::open(options.data_dir + "/index.sqlite"));
  return std::unique_ptr<Node>(new Node(options, std::move(disk), std::move(index)));
}

Node::Node(NodeOptions options, std::unique_ptr<store::ChunkStore> store, std::unique_ptr<index::Index> index)
    : options_(std::move(options)), store_(std::move(store)), index_(std::move(index)), pool_(options_.threads) {}

Node::~Node() = default;

Status Node::store_chunks_in_order(int fd, const std::string& name, const crypto::SecretKey& key,
                                   Manifest& manifest, std::vector<ChunkId>& stored, const ProgressFn& progress) {
  Chunker chunker(fd, manifest.chunk_size, name);
  // One sync for all of the file's chunks rather than one per chunk.
  std::unique_ptr<store::PutBatch> batch = store_->begin_batch();
  OrderedPipeline<StoredChunk> pipeline(pool_, pool_.size() * kChunksInFlightPerThread);
  Status failure;
  std::uint64_t done = 0;
  // Runs in order on this thread: the manifest lists chunks in file order.
  // It takes every result, even after a failure, so that each chunk stored
  // lands in `stored` and the caller can remove it.
  auto collect = [&](StoredChunk chunk) {
    if (!chunk.ref.ok()) {
      if (failure.ok()) failure = chunk.ref.take_error();
      return true;
    }
    stored.push_back(chunk.ref->id);
    if (failure.ok()) {
      manifest.chunks.push_back(*chunk.ref);
      done += chunk.ref->plain_size;
      if (progress) progress(done);
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
    pipeline.push(
        [&key, &batch, plaintext]() -> StoredChunk {
          SealedChunk sealed = seal_chunk(key, ChunkKind::data, *plaintext);
          Status put = batch->put(sealed.id, sealed.bytes);
          if (!put.ok()) return {put.take_error()};
          return {ChunkRef{sealed.id, static_cast<std::uint32_t>(plaintext->size())}};
        },
        collect);
  }
  // Every job must finish before we return: they reference `key`.
  pipeline.drain(collect);
  manifest.file_size = chunker.bytes_read();
  if (failure.ok()) failure = batch->commit();
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

Result<FileId> Node::put(int fd, const std::string& name, const ProgressFn& progress) {
  FileId id{ChunkId{}, crypto::SecretKey::generate()};
  Manifest manifest;
  manifest.chunk_size = options_.chunk_size;
  std::vector<ChunkId> stored;
  // Chunks are durable before the manifest names them, and the manifest
  // before the index does, so a crash at any point leaves only unreferenced
  // chunks behind, never a file with missing parts.
  Status status = store_chunks_in_order(fd, name, id.key, manifest, stored, progress);
  if (status.ok()) {
    auto sealed = seal_manifest(id.key, manifest);
    if (!sealed.ok()) status = sealed.take_error();
    for (std::size_t i = 0; status.ok() && i < sealed->segments.size(); ++i) {
      const SealedChunk& segment = sealed->segments[i];
      status = store_->put(segment.id, segment.bytes);
      if (status.ok()) stored.push_back(segment.id);
    }
    if (status.ok()) {
      id.manifest = sealed->head;
      index::FileRecord record{id.manifest,         id.key.bytes(),          name, manifest.file_size,
                               manifest.chunk_size, manifest.chunks.size(), std::time(nullptr)};
      status = index_->record_file(record, stored);
    }
  }
  if (!status.ok()) {
    forget_chunks(stored);
    return status.take_error();
  }
  return id;
}

Result<Manifest> Node::load(const FileId& id) {
  auto manifest = load_manifest(id.key, id.manifest, [this](const ChunkId& c) { return store_->get(c); });
  if (!manifest.ok() && manifest.error().code == Errc::not_found) {
    return make_error(Errc::not_found, "this peer holds no file with that ID (manifest " + id.manifest.short_hex() +
                                           " is not in its store)");
  }
  return manifest;
}

Result<std::uint64_t> Node::size_of(const FileId& id) {
  DFS_ASSIGN_OR_RETURN(Manifest manifest, load(id));
  return manifest.file_size;
}

Status Node::get(const FileId& id, int out_fd, const ProgressFn& progress) {
  DFS_ASSIGN_OR_RETURN(Manifest manifest, load(id));
  OrderedPipeline<Result<Bytes>> pipeline(pool_, pool_.size() * kChunksInFlightPerThread);
  Status failure;
  std::uint64_t done = 0;
  auto write_out = [&](Result<Bytes> plaintext) {
    if (plaintext.ok()) {
      Status written = write_full(out_fd, *plaintext, "output");
      if (written.ok()) {
        done += plaintext->size();
        if (progress) progress(done);
        return true;
      }
      plaintext = written.take_error();
    }
    failure = plaintext.take_error();
    return false;
  };
  for (std::size_t i = 0; i < manifest.chunks.size(); ++i) {
    const ChunkRef ref = manifest.chunks[i];
    bool keep_going = pipeline.push(
        [this, &id, ref, i]() -> Result<Bytes> {
          // The store verifies the hash on read; only decryption is left.
          auto sealed = store_->get(ref.id);
          if (!sealed.ok()) {
            Error e = sealed.take_error();
            e.message = "chunk " + std::to_string(i) + " of the file: " + e.message;
            return e;
          }
          DFS_ASSIGN_OR_RETURN(Bytes plaintext, decrypt_chunk(id.key, ChunkKind::data, *sealed));
          if (plaintext.size() != ref.plain_size) {
            return make_error(Errc::corrupt, "chunk " + std::to_string(i) + " holds " + std::to_string(plaintext.size()) +
                                                 " bytes, its manifest says " + std::to_string(ref.plain_size));
          }
          return plaintext;
        },
        write_out);
    if (!keep_going) break;
  }
  pipeline.drain(write_out);
  return failure;
}

Result<std::vector<index::FileRecord>> Node::list() { return index_->list_files(); }

Result<NodeStatus> Node::status() {
  NodeStatus s;
  s.data_dir = options_.data_dir;
  s.usage = store_->usage();
  DFS_ASSIGN_OR_RETURN(auto files, index_->list_files());
  s.files = files.size();
  DFS_ASSIGN_OR_RETURN(s.referenced_chunks, index_->referenced_chunk_count());
  return s;
}

}  // namespace dfs::node
