// Walking a chain of sealed segments (file manifests and directory
// snapshots chain the same way): fetch each segment, verify and open it as
// `kind`, decode it, check that only the first is a head, and hand it on.
#pragma once

#include "dfs/chunk/manifest.hpp"

namespace dfs::chain {

// `absorb(segment, first)` takes each decoded segment in order and must
// refuse (with an error) a segment past what the head promised: that is
// what ends a chain that would otherwise run on. A segment type has
// `is_head` and `next`.
template <typename Decode, typename Absorb>
Status walk(const crypto::SecretKey& key, ChunkKind kind, const ChunkId& head, const ChunkFetcher& fetch,
            Decode&& decode, Absorb&& absorb) {
  const char* what = kind == ChunkKind::directory ? "directory" : "manifest";
  std::optional<ChunkId> current = head;
  for (bool first = true; current; first = false) {
    DFS_ASSIGN_OR_RETURN(Bytes sealed, fetch(*current));
    DFS_ASSIGN_OR_RETURN(Bytes plaintext, open_chunk(key, kind, *current, sealed));
    DFS_ASSIGN_OR_RETURN(auto segment, decode(plaintext));
    if (segment.is_head != first) {
      return make_error(Errc::corrupt, std::string(what) + (first ? " ID names a continuation segment, not a head"
                                                                  : " chain contains a second head segment"));
    }
    DFS_TRY(absorb(segment, first));
    current = segment.next;
  }
  return {};
}

}  // namespace dfs::chain
