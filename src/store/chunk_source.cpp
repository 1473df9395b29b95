#include "dfs/store/chunk_source.hpp"

#include <string>

#include "dfs/util/log.hpp"

namespace dfs::store {

namespace {

// An answer that sends a reader on to the next link: absent, or a copy the
// store found corrupt (and has quarantined, so it is as good as absent).
bool try_next(const Error& e) { return e.code == Errc::not_found || e.code == Errc::corrupt; }

// A link with nothing further to ask: what a chain ends with when there is
// no cache or no peer.
class NoChunks final : public ChunkStore {
 public:
  Status put(const ChunkId& id, ByteView) override { return absent(id); }
  Result<Bytes> get(const ChunkId& id) override { return absent(id); }
  Result<bool> contains(const ChunkId&) override { return false; }
  Status remove(const ChunkId& id) override { return absent(id); }
  Result<std::vector<ChunkId>> list() override { return std::vector<ChunkId>{}; }
  Usage usage() const override { return {}; }

 private:
  static Error absent(const ChunkId& id) {
    return make_error(Errc::not_found, "chunk " + id.short_hex() + " not found on this peer");
  }
};

}  // namespace

FallbackChunkStore::FallbackChunkStore(ChunkStore& first, ChunkStore& next, Keep keep)
    : first_(first), next_(next), keep_(keep) {}

FallbackChunkStore::FallbackChunkStore(ChunkStore& first, std::unique_ptr<ChunkStore> next, Keep keep)
    : first_(first), owned_next_(std::move(next)), next_(*owned_next_), keep_(keep) {}

Result<Bytes> FallbackChunkStore::get(const ChunkId& id) {
  Result<Bytes> got = first_.get(id);
  if (got.ok() || !try_next(got.error())) return got;
  return from_next(id, got.error());
}

Status FallbackChunkStore::with_sealed(const ChunkId& id, const SealedUse& use) {
  // `use`'s own errors end the search: kept apart from the store's answer.
  Status used;
  Status lent = first_.with_sealed(id, [&](ByteView sealed) {
    used = use(sealed);
    return Status{};
  });
  if (lent.ok() && !used.ok()) lent = check_after_failed_use(id);
  if (lent.ok()) return used;
  if (!try_next(lent.error())) return lent;
  if (keep_ == Keep::fetched) {
    DFS_ASSIGN_OR_RETURN(Bytes sealed, from_next(id, lent.error()));
    return use(sealed);
  }
  // The next link lends too (the cache behind the local store), with this
  // same rule; nothing is kept, so nothing needs copying.
  log_unusable(id, lent.error());
  Status further = next_.with_sealed(id, use);
  if (!further.ok() && further.error().code == Errc::not_found && lent.error().code == Errc::corrupt) return lent;
  return further;
}

// `use` failed on bytes `first_` lent, maybe without hashing them. A copy
// that does not match its ID is what failed: get() hashes it, quarantines
// it and says corrupt, and the caller asks the next link. One that matches
// was good, and the failure is `use`'s own (a wrong key): OK here.
Status FallbackChunkStore::check_after_failed_use(const ChunkId& id) {
  Result<Bytes> checked = first_.get(id);
  if (checked.ok()) return {};
  return checked.take_error();
}

void FallbackChunkStore::log_unusable(const ChunkId& id, const Error& missed) {
  if (missed.code == Errc::corrupt) {
    log::info("chunk " + id.short_hex() + ": local copy unusable (" + missed.to_string() + "); looking further");
  }
}

Result<Bytes> FallbackChunkStore::from_next(const ChunkId& id, const Error& missed) {
  log_unusable(id, missed);
  Result<Bytes> got = next_.get(id);
  if (got.ok()) {
    if (keep_ == Keep::fetched) keep(id, *got);
    return got;
  }
  // Nobody further has it: the corruption is the better explanation.
  if (missed.code == Errc::corrupt && got.error().code == Errc::not_found) return Error(missed);
  return got;
}

// `next` verified the bytes against `id` (every link does), so the cache
// takes them as verified, and unsynced: a lost copy is fetched again.
void FallbackChunkStore::keep(const ChunkId& id, ByteView sealed) {
  std::unique_ptr<PutBatch> batch = first_.begin_batch();
  Status kept = batch->put_verified(id, sealed);
  if (kept.ok()) kept = batch->commit_unsynced();
  if (!kept.ok()) log::warn("could not keep chunk " + id.short_hex() + " in the cache: " + kept.error().to_string());
}

Result<bool> FallbackChunkStore::contains(const ChunkId& id) {
  Result<bool> here = first_.contains(id);
  if (!here.ok() || *here) return here;
  return next_.contains(id);
}

Status RemoteChunks::put(const ChunkId& id, ByteView) {
  return make_error(Errc::not_supported, "chunk " + id.short_hex() + ": peers are not written through a chain");
}

Status RemoteChunks::remove(const ChunkId& id) {
  return make_error(Errc::not_supported, "chunk " + id.short_hex() + ": peers are not written through a chain");
}

std::unique_ptr<ChunkStore> make_chunk_source(const ChunkChain& chain) {
  std::unique_ptr<ChunkStore> rest;
  if (chain.fetch) {
    rest = std::make_unique<RemoteChunks>(chain.fetch);
  } else {
    rest = std::make_unique<NoChunks>();
  }
  if (chain.cache) {
    const auto keep = chain.keep_fetched && chain.fetch ? FallbackChunkStore::Keep::fetched
                                                        : FallbackChunkStore::Keep::nothing;
    rest = std::make_unique<FallbackChunkStore>(*chain.cache, std::move(rest), keep);
  }
  return std::make_unique<FallbackChunkStore>(*chain.local, std::move(rest), FallbackChunkStore::Keep::nothing);
}

}  // namespace dfs::store
