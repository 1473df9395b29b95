// LocalChunks: the chunks this peer has, as the replication engine sees
// them — the store it serves as one of their R closest, and the owned store
// (may be null): chunks it keeps for its own files but does not serve (a
// node's cache/ of chunks other peers are responsible for).
//
// Blocking (disk): call it from a BlockingRunner's work, never on the loop.
// It is a pair of references, copied by value into that work, so the work
// does not touch a part that may be gone before it ends; the stores
// outlive every part.
#pragma once

#include <functional>
#include <vector>

#include "dfs/chunk/chunk_id.hpp"
#include "dfs/replicate/keyed_renewal.hpp"
#include "dfs/store/chunk_store.hpp"
#include "dfs/util/bytes.hpp"
#include "dfs/util/result.hpp"

namespace dfs::replicate {

struct LocalChunks {
  store::ChunkStore& store;
  store::ChunkStore* owned;  // may be null
  // The lease keys recorded with the chunks others put here; empty: none.
  PlacerKeyOf lease_keys;

  // From the store, else from the owned store: the chunk chain's first
  // links (store/chunk_source.hpp), with its rule for corrupt copies.
  Result<Bytes> get(const ChunkId& id) const;

  // Makes sure the store (which is served) holds `id`, moving it out of
  // the owned store if only that one does. The store's put verifies the
  // bytes against `id` and is durable before the owned copy goes. OK when
  // neither holds it (GC took it meanwhile).
  Status serve(const ChunkId& id) const;

  // Every chunk of both, each once, sorted (a chunk can sit in both for a
  // moment while the owner moves it to its cache).
  Result<std::vector<ChunkId>> list() const;

  // The lease key a copy of `id` made from here should carry (issue 15):
  // the one recorded with its lease here, i.e. its owner's, so the owner's
  // keyed renewals cover the new copy; none (the sender's own) if none is.
  Result<PlacerKey> lease_key_of(const ChunkId& id) const;
};

// The chunks this peer's own files reference, whether it holds them or not
// (a node's index: file versions, directory snapshots, those kept for
// retained snapshots; Index::referenced_chunks), in any order. A mount
// recovered from a namespace snapshot (issue 15) references a whole tree
// and holds only what it has read; its repair rounds ask the holders about
// the rest too, which renews their leases there, so the new machine takes
// over renewing every chunk of the tree without fetching it. Blocking, as
// LocalChunks::list; an empty function: nothing beyond the local stores.
using ReferencedChunks = std::function<Result<std::vector<ChunkId>>()>;

}  // namespace dfs::replicate
