#include "chunk_reader.hpp"

#include "dfs/util/log.hpp"

namespace dfs::fs {

ChunkReader::ChunkReader(const Backend& backend, std::size_t cache_bytes)
    : backend_(backend), plaintexts_(cache_bytes), manifests_(kManifestCacheRefs) {}

ChunkReader::~ChunkReader() {
  std::unique_lock lock(mu_);
  prefetch_done_.wait(lock, [this] { return prefetching_.empty(); });
}

namespace {

// A store's answer that sends a reader on to the next source: a corrupt
// local copy is quarantined by the store, so it is as good as missing.
bool try_next_source(const Status& got) {
  return !got.ok() && (got.error().code == Errc::not_found || got.error().code == Errc::corrupt);
}

}  // namespace

Result<Bytes> ChunkReader::sealed(const ChunkId& id) {
  Bytes copy;
  DFS_TRY(with_sealed(id, [&copy](ByteView sealed) {
    copy.assign(sealed.begin(), sealed.end());
    return Status{};
  }));
  return copy;
}

Status ChunkReader::with_sealed(const ChunkId& id, const store::ChunkStore::SealedUse& use) {
  Status used;  // kept apart from the stores' answers, so that it ends the search
  auto lend = [&](ByteView sealed) {
    used = use(sealed);
    return Status{};
  };
  Status local = backend_.store->with_sealed(id, lend);
  if (!try_next_source(local)) return local.ok() ? used : local;
  if (backend_.cache) {
    Status cached = backend_.cache->with_sealed(id, lend);
    if (!try_next_source(cached)) return cached.ok() ? used : cached;
  }
  if (!backend_.network) {
    return make_error(Errc::not_found, "chunk " + id.short_hex() + " is not stored on this peer");
  }
  DFS_ASSIGN_OR_RETURN(Bytes fetched, backend_.network->fetch(id));
  if (backend_.cache) {
    Status kept = backend_.cache->put(id, fetched);
    if (!kept.ok()) log::warn("fs: could not keep fetched chunk in the cache: " + kept.error().to_string());
  }
  return use(fetched);
}

bool ChunkReader::held_locally(const ChunkId& id) {
  auto in_store = backend_.store->contains(id);
  if (in_store.ok() && *in_store) return true;
  if (!backend_.cache) return false;
  auto in_cache = backend_.cache->contains(id);
  return in_cache.ok() && *in_cache;
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
    plain = std::make_shared<PlainChunk>(held);
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
