// ChunkServer: the serving side of the chunk RPCs over this peer's local
// ChunkStore. The network adapter decodes PUT_CHUNK / GET_CHUNK /
// HAS_CHUNKS, calls these, and encodes the answer (an Error carries the
// returned code).
//
// Trust: requests come from any peer. A PUT is stored only if its bytes
// hash to the ID (a peer never stores bytes that do not match their ID),
// a GET serves only bytes the store verified, and a HAS batch above
// kMaxHasChunksBatch is refused before any work.
//
// Thread-safe: the adapter calls it from a worker pool (the store's calls
// block on the disk and hash), never from the network thread. on_put
// blocks until its chunk is durable, committed in a group with the PUTs
// that arrive meanwhile (store/group_commit.hpp): give PUTs a pool wide
// enough for the groups to form. Holds no state besides its counters and
// the group being committed.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <vector>

#include "dfs/store/chunk_store.hpp"
#include "dfs/store/group_commit.hpp"

namespace dfs::replicate {

struct ServerStats {
  std::uint64_t puts_stored = 0;    // PUTs accepted (including ones already held)
  std::uint64_t puts_refused = 0;   // wrong hash, too large, quota full, I/O error
  std::uint64_t gets_served = 0;
  std::uint64_t gets_failed = 0;    // not held, corrupt on disk, I/O error
  std::uint64_t has_requests = 0;
};

// Where a peer records that it holds a chunk for someone else, so that GC
// keeps it until the lease ends (DESIGN.md §4). Implemented by node/ over
// the index; thread-safe.
class LeaseRecorder {
 public:
  virtual ~LeaseRecorder() = default;
  // Starts or extends the lease of `id`. Called *before* the chunk is
  // stored: from then on GC must not collect it (a lease on a chunk that
  // then fails to store is harmless: it only expires).
  virtual void lease(const ChunkId& id) = 0;
};

class ChunkServer {
 public:
  // `store` (and `leases`, if given) must outlive the server. With
  // `leases`, every chunk a peer puts here gets a lease.
  explicit ChunkServer(store::ChunkStore& store, LeaseRecorder* leases = nullptr);

  // Stores `sealed` under `id` after checking it: Errc::corrupt if it does
  // not hash to `id`, Errc::too_large above kMaxSealedChunkSize (nothing is
  // stored either way), Errc::no_space when the quota is full. Storing a
  // chunk already held succeeds.
  Status on_put(const ChunkId& id, ByteView sealed);

  // The stored bytes, verified: Errc::not_found if absent, Errc::corrupt if
  // the copy on disk went bad (the store then drops it).
  Result<Bytes> on_get(const ChunkId& id);

  // Whether each of `ids` is held, in order. With a LeaseRecorder, renews
  // the lease of each chunk held: the repair loops of the other holders
  // ask about it every round. Errc::too_large above
  // kMaxHasChunksBatch IDs. A chunk whose presence cannot be read (an I/O
  // error) counts as absent: the asker then pushes it again, which is
  // harmless, rather than trusting a copy that may be gone.
  Result<std::vector<bool>> on_has(std::span<const ChunkId> ids);

  ServerStats stats() const;

 private:
  store::ChunkStore& store_;
  LeaseRecorder* const leases_;
  store::GroupCommitter committer_;
  // Counters only; relaxed, read for `dfs status`.
  std::atomic<std::uint64_t> puts_stored_{0};
  std::atomic<std::uint64_t> puts_refused_{0};
  std::atomic<std::uint64_t> gets_served_{0};
  std::atomic<std::uint64_t> gets_failed_{0};
  std::atomic<std::uint64_t> has_requests_{0};
};

}  // namespace dfs::replicate
