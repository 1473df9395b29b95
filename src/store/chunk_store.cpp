#include "dfs/store/chunk_store.hpp"

#include <string>

namespace dfs::store {

Status check_sealed(const ChunkId& id, ByteView sealed) {
  if (sealed.size() > kMaxSealedChunkSize) {
    return make_error(Errc::too_large, "chunk " + id.short_hex() + " has " + std::to_string(sealed.size()) +
                                           " bytes, above the limit of " + std::to_string(kMaxSealedChunkSize));
  }
  if (ChunkId::of(sealed) != id) {
    return make_error(Errc::corrupt, "bytes offered for chunk " + id.short_hex() + " do not hash to its ID");
  }
  return {};
}

}  // namespace dfs::store

namespace dfs::store {

namespace {
// Puts each chunk straight through to its store: correct for any store,
// with no saving.
class ImmediatePutBatch final : public PutBatch {
 public:
  explicit ImmediatePutBatch(ChunkStore& store) : store_(store) {}
  Status put(const ChunkId& id, ByteView sealed) override { return store_.put(id, sealed); }
  Status commit() override { return {}; }

 private:
  ChunkStore& store_;
};
}  // namespace

Status ChunkStore::with_sealed(const ChunkId& id, const SealedUse& use) {
  DFS_ASSIGN_OR_RETURN(Bytes sealed, get(id));
  return use(sealed);
}

std::unique_ptr<PutBatch> ChunkStore::begin_batch() { return std::make_unique<ImmediatePutBatch>(*this); }

}  // namespace dfs::store
