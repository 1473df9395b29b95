// ChunkServer: the serving side of the chunk RPCs over this peer's local
// ChunkStore. The network adapter decodes PUT_CHUNK / GET_CHUNK /
// HAS_CHUNKS / PROVE_CHUNK, calls these, and encodes the answer (an Error carries the
// returned code).
//
// Trust: requests come from any peer. A PUT is stored only if its bytes
// hash to the ID (a peer never stores bytes that do not match their ID),
// a GET serves only bytes the store verified, and a HAS batch above
// kMaxHasChunksBatch is refused before any work. What strangers put goes
// to a store of its own with its own budget (`held`), never into the
// owner's, and a HAS renews a lease only for a peer entitled to it.
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
#include <optional>
#include <span>
#include <vector>

#include "dfs/dht/node_id.hpp"
#include "dfs/replicate/keyed_renewal.hpp"
#include "dfs/replicate/storage_proof.hpp"
#include "dfs/store/chunk_store.hpp"
#include "dfs/store/group_commit.hpp"

namespace dfs::replicate {

// The default budget for chunks other peers put on a node (dfs(1),
// --storage-for-others): 10 GiB, room for ten thousand 1 MiB chunks of
// other peers' files, small beside today's disks; a node that wants to
// give more (or less) says so.
inline constexpr std::uint64_t kDefaultStorageForOthers = std::uint64_t{10} << 30;

struct ServerStats {
  std::uint64_t puts_stored = 0;    // PUTs accepted (including ones already held)
  std::uint64_t puts_refused = 0;   // wrong hash, too large, budget full, I/O error
  std::uint64_t puts_full = 0;      // of those: the budget for others was full
  std::uint64_t gets_served = 0;
  std::uint64_t gets_failed = 0;    // not held, corrupt on disk, I/O error
  std::uint64_t has_requests = 0;
  std::uint64_t proofs_served = 0;  // storage challenges answered with a proof
};

// Where a peer records that it holds a chunk for someone else, so that GC
// keeps it until the lease ends (DESIGN.md §4). Implemented by node/ over
// the index; thread-safe.
//
// Who may extend a lease (issue 10): the peer that put the chunk here (the
// owner placing it, or a holder repairing), whoever signs for the lease
// key it sent with the chunk (issue 15, keyed_renewal.hpp: the machine
// that recovered its namespace), and the chunk's current holders (which
// ask about it every repair round) — never an arbitrary peer, so a
// stranger cannot keep junk alive by asking about it.
class LeaseRecorder {
 public:
  virtual ~LeaseRecorder() = default;
  // `placer` put `id` here: starts or extends its lease and records
  // `placer` (and `key`, its lease key if it sent one) as who may renew it.
  // Called *before* the chunk is
  // stored: from then on GC must not collect it (a lease on a chunk that
  // then fails to store is harmless: it only expires).
  virtual void lease(const ChunkId& id, const dht::NodeId& placer, const PlacerKey& key) = 0;
  // A current holder of `id` asked about it: extends its lease, whoever
  // placed it.
  virtual void renew(const ChunkId& id) = 0;
  // `asker` asked about `ids`: extends the leases of those it placed, and
  // records `key` (from a renewal it signed) as their placer's key where
  // none is.
  virtual void renew_placed_by(const std::vector<ChunkId>& ids, const dht::NodeId& asker, const PlacerKey& key) = 0;
  // A verified keyed renewal of `ids`: extends the leases recorded with
  // `key`, to `issued_at` plus the lease length at most.
  virtual void renew_keyed(const std::vector<ChunkId>& ids, const crypto::PublicKey& key, std::int64_t issued_at) = 0;
};

// Who asks HAS_CHUNKS, as lease renewal needs it: the asker's proven node
// ID and, for each chunk asked about, whether the asker is one of its
// current holders (among its closest peers by this node's routing table;
// the network adapter decides, where the routing table is). Missing
// entries count as false. `renewal`: a keyed renewal the asker sent
// (keyed_renewal.hpp), unverified; `holder` is this peer's node ID, which
// it must name.
struct HasAsker {
  dht::NodeId id;
  std::vector<bool> holds;
  std::optional<KeyedRenewal> renewal = std::nullopt;
  dht::NodeId holder = {};
};

class ChunkServer {
 public:
  // `served` (the chunks this peer serves: GET and HAS read it), `held`
  // and `leases` must outlive the server. PUTs of chunks `served` lacks go
  // to `held` (the budget for others, store/served_store.hpp); without
  // one, to `served`. With `leases`, every chunk a peer puts here gets a
  // lease.
  explicit ChunkServer(store::ChunkStore& served, store::ChunkStore* held = nullptr,
                       LeaseRecorder* leases = nullptr);

  // Stores `sealed` under `id` after checking it: Errc::corrupt if it does
  // not hash to `id`, Errc::too_large above kMaxSealedChunkSize (nothing is
  // stored either way), Errc::no_space ("full") when the budget for others
  // is spent. Storing a chunk already held succeeds, and costs no budget.
  // `from` is the peer that put it, `key` the lease key it sent (either may
  // renew the lease).
  Status on_put(const ChunkId& id, ByteView sealed, const dht::NodeId& from = {}, const PlacerKey& key = {});

  // on_put of several chunks from one peer (PUT_CHUNKS, issue 12): each
  // checked and answered as on_put would, in order; those stored are
  // committed in one group. A bad chunk among good ones fails alone.
  using PutItem = store::GroupCommitter::Item;
  std::vector<Status> on_put_many(std::span<const PutItem> items, const dht::NodeId& from = {},
                                  const PlacerKey& key = {});

  // The stored bytes, verified: Errc::not_found if absent, Errc::corrupt if
  // the copy on disk went bad (the store then drops it).
  Result<Bytes> on_get(const ChunkId& id);

  // Whether each of `ids` is held, in order. With a LeaseRecorder, renews
  // the lease of each chunk held if `asker` holds it too or placed it, or
  // sent a keyed renewal that verifies (see LeaseRecorder): the repair
  // loops of the other holders and of the owner ask about it every round.
  // A renewal that does not verify renews nothing; the answer is the same. Errc::too_large above
  // kMaxHasChunksBatch IDs. A chunk whose presence cannot be read (an I/O
  // error) counts as absent: the asker then pushes it again, which is
  // harmless, rather than trusting a copy that may be gone.
  Result<std::vector<bool>> on_has(std::span<const ChunkId> ids, const HasAsker& asker = {});

  // A storage challenge (storage_proof.hpp): the proof of the chunk's
  // verified bytes for `nonce`; fails as on_get. It costs a read of the
  // whole chunk: the network adapter limits how often a peer may ask.
  Result<crypto::Digest> on_prove(const ChunkId& id, const ProofNonce& nonce);

  ServerStats stats() const;

 private:
  store::ChunkStore& served_;
  store::ChunkStore& held_;  // where PUTs go: `held`, else `served`
  LeaseRecorder* const leases_;
  store::GroupCommitter committer_;
  // Counters only; relaxed, read for `dfs status`.
  std::atomic<std::uint64_t> puts_stored_{0};
  std::atomic<std::uint64_t> puts_refused_{0};
  std::atomic<std::uint64_t> puts_full_{0};
  std::atomic<std::uint64_t> gets_served_{0};
  std::atomic<std::uint64_t> gets_failed_{0};
  std::atomic<std::uint64_t> has_requests_{0};
  std::atomic<std::uint64_t> proofs_served_{0};
};

}  // namespace dfs::replicate
