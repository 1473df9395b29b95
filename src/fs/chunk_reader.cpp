#include "chunk_reader.hpp"


namespace dfs::fs {

namespace {

store::ChunkChain chain_of(const Backend& backend) {
  store::ChunkChain chain{backend.store, backend.cache, {}, /*keep_fetched=*/true};
  if (replicate::ChunkNetwork* network = backend.network) {
    chain.fetch = [network](const ChunkId& id) { return network->fetch(id); };
  }
  return chain;
}

// Free slots kept for the next chunks: those of the read-aheads in flight.
constexpr std::size_t kKeepFreeSlots = 8;

}  // namespace

PlainChunk::PlainChunk(std::size_t size, std::shared_ptr<HugePagePool> pool) : size_(size) {
  bytes_ = pool && size > pool->slot_bytes() / 2 && size <= pool->slot_bytes() ? pool->acquire() : nullptr;
  if (bytes_ != nullptr) {
    pool_ = std::move(pool);
  } else {
    bytes_ = new std::uint8_t[size];
  }
}

PlainChunk::~PlainChunk() {
  if (pool_) {
    pool_->release(bytes_);
  } else {
    delete[] bytes_;
  }
}

ChunkReader::ChunkReader(const Backend& backend, std::size_t cache_bytes)
    : source_(store::make_chunk_source(chain_of(backend))),
      buffers_(std::make_shared<HugePagePool>(kDefaultChunkSize, kKeepFreeSlots * kDefaultChunkSize)),
      plaintexts_(cache_bytes),
      manifests_(kManifestCacheRefs) {}

ChunkReader::~ChunkReader() {
  std::unique_lock lock(mu_);
  prefetch_done_.wait(lock, [this] { return prefetching_.empty(); });
}

Result<Bytes> ChunkReader::sealed(const ChunkId& id) { return source_->get(id); }

Status ChunkReader::with_sealed(const ChunkId& id, const store::ChunkStore::SealedUse& use) {
  return source_->with_sealed(id, use);
}

bool ChunkReader::held_locally(const ChunkId& id) {
  // The chain's contains() never asks the peers.
  auto held = source_->contains(id);
  return held.ok() && *held;
}

void ChunkReader::remember(const ChunkId& id, Plaintext data) {
  std::lock_guard lock(mu_);
  const std::size_t bytes = data->size();
  plaintexts_.insert(id, std::move(data), bytes);
}

Plaintext ChunkReader::cached_or_awaited(const ChunkId& id) {
  std::unique_lock lock(mu_);
  prefetch_done_.wait(lock, [&] { return prefetching_.count(id) == 0; });
  const Plaintext* hit = plaintexts_.find(id);
  return hit ? *hit : nullptr;
}

Result<Plaintext> ChunkReader::plaintext(const ChunkId& id, const crypto::SecretKey& key, std::uint32_t plain_size) {
  if (Plaintext hit = cached_or_awaited(id)) return hit;
  // Not cached: never read ahead, its read-ahead failed, or the LRU dropped it.
  return load(id, key, plain_size);
}

Result<Plaintext> ChunkReader::load(const ChunkId& id, const crypto::SecretKey& key, std::uint32_t plain_size) {
  std::shared_ptr<PlainChunk> plain;
  auto decrypt = [&](ByteView sealed) -> Status {
    DFS_ASSIGN_OR_RETURN(const std::size_t held, opened_size(sealed));
    if (held != plain_size) {
      return make_error(Errc::corrupt, "chunk " + id.short_hex() + " holds " + std::to_string(held) +
                                           " bytes, its manifest says " + std::to_string(plain_size));
    }
    plain = std::make_shared<PlainChunk>(held, buffers_);
    return decrypt_chunk_into(key, ChunkKind::data, sealed, plain->writable());
  };
  Status loaded = with_sealed(id, decrypt);
  if (!loaded.ok() && loaded.error().code == Errc::not_found) {
    // The manifest names it, so it exists somewhere: an I/O error, not ENOENT.
    return make_error(Errc::unavailable, "no reachable peer holds chunk " + id.short_hex() + " of the file");
  }
  DFS_TRY(std::move(loaded));
  remember(id, plain);
  return Plaintext(std::move(plain));
}

void ChunkReader::prefetch(const ChunkId& id, const crypto::SecretKey& key, std::uint32_t plain_size) {
  {
    std::lock_guard lock(mu_);
    if (plaintexts_.contains(id) || prefetching_.count(id) || prefetching_.size() >= kMaxPrefetches) return;
    prefetching_.insert(id);
  }
  // The destructor waits for prefetching_ to empty, so `this` outlives the job.
  (void)read_ahead_pool_.submit([this, id, key, plain_size] {
    (void)load(id, key, plain_size);
    std::lock_guard lock(mu_);
    prefetching_.erase(id);
    prefetch_done_.notify_all();
  });
}

Result<Manifest> ChunkReader::manifest(const crypto::SecretKey& key, const ChunkId& head) {
  {
    std::lock_guard lock(mu_);
    const OpenedManifest* hit = manifests_.find(head);
    if (hit && hit->key == key) return hit->manifest;
  }
  DFS_ASSIGN_OR_RETURN(Manifest loaded, load_manifest(key, head, [this](const ChunkId& id) { return sealed(id); }));
  remember_manifest(key, head, loaded);
  return loaded;
}

void ChunkReader::remember_manifest(const crypto::SecretKey& key, const ChunkId& head, const Manifest& manifest) {
  std::lock_guard lock(mu_);
  manifests_.insert(head, OpenedManifest{key, manifest}, manifest.entries().size() + 1);
}

}  // namespace dfs::fs
