// Fuzzes load_manifest over a chain of segments built from the input (see
// chain_input.hpp): verification, decryption and decoding of each segment,
// the head/continuation rules, and the bounds that stop overlong chains.
//
// Properties: no crash, no unbounded work; an accepted manifest satisfies
// manifest.hpp's invariant (chunk sizes add up to the file size); and it
// seals and loads back to itself.
#include <map>

#include "chain_input.hpp"
#include "dfs/chunk/manifest.hpp"
#include "fuzz_common.hpp"

namespace {
using namespace dfs;

// Sealed chunks by ID, as a store would hold them.
using ChunkMap = std::map<ChunkId, Bytes>;

ChunkFetcher fetcher_over(const ChunkMap& chunks) {
  return [&chunks](const ChunkId& id) -> Result<Bytes> {
    auto it = chunks.find(id);
    if (it == chunks.end()) return make_error(Errc::not_found, "no chunk " + id.short_hex());
    return it->second;
  };
}

// Seals from the tail backwards, so a segment's link target already has an
// ID. Returns the head's ID.
ChunkId build_chain(const crypto::SecretKey& key, std::vector<fuzz::ChainSegment>& segments, ChunkMap& chunks) {
  std::vector<ChunkId> ids(segments.size());
  for (std::size_t i = segments.size(); i-- > 0;) {
    fuzz::ChainSegment& seg = segments[i];
    const std::size_t target = i + seg.link_distance();
    if (seg.links() && target < segments.size() && seg.plaintext.size() >= crypto::kDigestSize) {
      std::copy(ids[target].bytes.begin(), ids[target].bytes.end(), seg.plaintext.end() - crypto::kDigestSize);
    }
    SealedChunk sealed;
    switch (seg.mode()) {
      case fuzz::StoreMode::sealed:
      case fuzz::StoreMode::missing:
        sealed = seal_chunk(key, ChunkKind::manifest, seg.plaintext);
        break;
      case fuzz::StoreMode::wrong_kind:
        sealed = seal_chunk(key, ChunkKind::data, seg.plaintext);
        break;
      case fuzz::StoreMode::unsealed:
        sealed = SealedChunk{ChunkId::of(seg.plaintext), seg.plaintext};
        break;
    }
    ids[i] = sealed.id;
    if (seg.mode() != fuzz::StoreMode::missing) chunks[sealed.id] = std::move(sealed.bytes);
  }
  return ids[0];
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const crypto::SecretKey key = fuzz::fixed_key();
  auto segments = fuzz::split_chain_input(ByteView(data, size));
  if (segments.empty()) return 0;

  ChunkMap chunks;
  const ChunkId head = build_chain(key, segments, chunks);
  auto manifest = load_manifest(key, head, fetcher_over(chunks));
  if (!manifest.ok()) return 0;

  FUZZ_CHECK(manifest->validate().ok());
  std::uint64_t sum = 0;
  for (const ChunkRef& ref : manifest->chunks) sum += ref.plain_size;
  FUZZ_CHECK(sum == manifest->file_size);

  // Re-seal in a few segments (a chain, when there are entries to split).
  const auto per_segment = static_cast<std::uint32_t>(manifest->chunks.size() / 3 + 1);
  auto resealed = seal_manifest(key, *manifest, per_segment);
  FUZZ_CHECK(resealed.ok());
  ChunkMap again;
  for (const SealedChunk& s : resealed->segments) again[s.id] = s.bytes;
  auto reloaded = load_manifest(key, resealed->head, fetcher_over(again));
  FUZZ_CHECK(reloaded.ok());
  FUZZ_CHECK(*reloaded == *manifest);
  return 0;
}
