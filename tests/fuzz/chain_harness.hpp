// What fuzz_manifest_chain and fuzz_directory_chain share: sealing the
// segments of a chain input (chain_input.hpp) into a map of chunks, with
// the real links filled in, and a fetcher over that map.
#pragma once

#include <map>

#include "chain_input.hpp"
#include "dfs/chunk/manifest.hpp"

namespace dfs::fuzz {

// Sealed chunks by ID, as a store would hold them.
using ChunkMap = std::map<ChunkId, Bytes>;

inline ChunkFetcher fetcher_over(const ChunkMap& chunks) {
  return [&chunks](const ChunkId& id) -> Result<Bytes> {
    auto it = chunks.find(id);
    if (it == chunks.end()) return make_error(Errc::not_found, "no chunk " + id.short_hex());
    return it->second;
  };
}

// Seals from the tail backwards as `kind`, so a segment's link target
// already has an ID. Returns the head's ID.
inline ChunkId build_chain(const crypto::SecretKey& key, ChunkKind kind, std::vector<ChainSegment>& segments,
                           ChunkMap& chunks) {
  std::vector<ChunkId> ids(segments.size());
  for (std::size_t i = segments.size(); i-- > 0;) {
    ChainSegment& seg = segments[i];
    const std::size_t target = i + seg.link_distance();
    if (seg.links() && target < segments.size() && seg.plaintext.size() >= crypto::kDigestSize) {
      std::copy(ids[target].bytes.begin(), ids[target].bytes.end(), seg.plaintext.end() - crypto::kDigestSize);
    }
    SealedChunk sealed;
    switch (seg.mode()) {
      case StoreMode::sealed:
      case StoreMode::missing:
        sealed = seal_chunk(key, kind, seg.plaintext);
        break;
      case StoreMode::wrong_kind:
        sealed = seal_chunk(key, ChunkKind::data, seg.plaintext);
        break;
      case StoreMode::unsealed:
        sealed = SealedChunk{ChunkId::of(seg.plaintext), seg.plaintext};
        break;
    }
    ids[i] = sealed.id;
    if (seg.mode() != StoreMode::missing) chunks[sealed.id] = std::move(sealed.bytes);
  }
  return ids[0];
}

}  // namespace dfs::fuzz
