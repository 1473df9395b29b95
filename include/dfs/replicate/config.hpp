// ReplicationConfig: the placement and repair parameters (DESIGN.md §4),
// named once here. The defaults suit a real network of peers moving 1 MiB
// chunks; tests shorten the times on the simulator's virtual clock.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "dfs/util/result.hpp"

namespace dfs::replicate {

using std::chrono::milliseconds;

// R: how many peers hold each chunk (DESIGN.md §4).
inline constexpr std::size_t kDefaultReplicas = 3;
// The most chunk IDs one HAS_CHUNKS request may carry. Part of the
// protocol: a server refuses a larger batch, so a request stays small
// (32 KiB of IDs) and its answer a 128-byte bitmap.
inline constexpr std::size_t kMaxHasChunksBatch = 1024;
// PUT_CHUNKS (issue 12): several small chunks for one receiver in one
// request, each checked and answered as a PUT_CHUNK of its own would be.
// Part of the protocol: a receiver refuses a batch of more chunks, a
// chunk of more bytes, or more bytes in all. A chunk above
// kMaxBatchedChunkSize goes in a PUT_CHUNK of its own: its cost is in its
// bytes, not in the request. 128 entries keep the answer (an outcome with
// a bounded message per chunk) well inside the frame's 64 KiB header.
inline constexpr std::size_t kMaxPutBatchChunks = 128;
inline constexpr std::size_t kMaxBatchedChunkSize = 64 * 1024;
inline constexpr std::size_t kMaxPutBatchBytes = 4 << 20;

struct ReplicationConfig {
  // Peers that hold each chunk (this node counts when it is one of the R
  // closest). At most the DHT's k, since a lookup returns k contacts.
  std::size_t replicas = kDefaultReplicas;

  // --- Transfers ---------------------------------------------------------
  // Chunk RPCs (PUT, GET, HAS) this node keeps in flight over all its
  // operations; the rest wait in a queue where reads and writes a user is
  // waiting for go before repair. Bounds memory (about this many chunks)
  // and the bandwidth repair can take. 64: as many as a get keeps in
  // flight across a long round trip (node::Node's widest window, for the
  // bandwidth-delay product), which a smaller cap would hold back a round
  // trip; and a receiver commits the PUTs that reach it together
  // (store/group_commit.hpp), so with R = 3 each of them needs several in
  // flight at once to sync once for many chunks.
  std::size_t parallel_transfers = 64;
  // Backstop for one chunk RPC: the Replicator gives up on an answer after
  // this even if the ChunkClient has not reported. Long enough for a 16 MiB
  // chunk over a slow link; the client's own timeout should be at most this.
  milliseconds transfer_timeout{std::chrono::seconds(30)};

  // --- Lookups -----------------------------------------------------------
  // A lookup that finds fewer than k peers has found every peer of the
  // network, so the closest peers of any key are among them: for this
  // long, replicate and fetch pick from that set instead of running one
  // lookup per chunk (a put or get of a large file needs thousands). Any
  // unreachable peer, and any lookup finding k or more, drops the set.
  // 0 disables it (one lookup per chunk).
  milliseconds small_network_ttl{std::chrono::seconds(10)};

  // --- Fetch -------------------------------------------------------------
  // GETs one fetch keeps in flight. It starts with the closest peer and
  // adds the next one when a GET fails or has not answered within
  // fetch_hedge_delay, so a slow replica costs a delay, not a failure, and
  // a healthy one costs one transfer.
  std::size_t fetch_parallelism = 2;
  milliseconds fetch_hedge_delay{std::chrono::seconds(1)};
  // A fetch that has not succeeded by then fails with Errc::unavailable
  // (DESIGN.md §5: EIO, never a hang). The same default as a peer's
  // --fetch-timeout (node::PeerOptions, dfs(1)).
  milliseconds fetch_timeout{std::chrono::seconds(30)};

  // --- Repair ------------------------------------------------------------
  // Time between two repair rounds (from the end of one to the start of
  // the next, so rounds never overlap), varied by +-repair_jitter (a
  // fraction) so that the replicas of a chunk do not all check it at once
  // and push the same copy.
  milliseconds repair_interval{std::chrono::minutes(10)};
  double repair_jitter = 0.2;
  // Chunks of the local store one round checks; a larger store is covered
  // over several rounds, resuming where the last one stopped.
  std::size_t repair_chunks_per_round = 4096;
  // Copies one round may push; a round that reaches it resumes next time
  // from the first chunk it could not heal.
  std::size_t repair_copies_per_round = 256;
  // DHT lookups one round keeps in flight to find where chunks belong.
  std::size_t repair_lookups_in_flight = 4;
  // IDs per HAS_CHUNKS request, at most kMaxHasChunksBatch.
  std::size_t has_batch_size = kMaxHasChunksBatch;
  // Storage challenges (issue 10): of the chunks a peer says it holds in
  // one HAS_CHUNKS answer, this many, picked at random, must be proven
  // (PROVE_CHUNK, storage_proof.hpp). A peer that fails one is distrusted
  // (distrusted.hpp): none of its claims count, and its chunks are copied
  // to the next closest peers. A challenge left unanswered (timed out,
  // unreachable) fails only at the peer's second round of silence
  // (Repairer::silence_fails): a cut link is not a lie. A liar that claims every chunk is caught in
  // its first answer with probability 1; one that lies about a fraction f
  // of them escapes a round with probability (1 - f)^n. Each challenge
  // costs the holder a read of one chunk. 0: HAS answers are trusted.
  std::size_t challenges_per_check = 2;
  // How long a peer that failed a challenge stays distrusted.
  milliseconds distrust_period{std::chrono::hours(1)};

  // Seed for the repair jitter (not for secrets). 0: seeded from the OS.
  // Simulations set it so that runs repeat.
  std::uint64_t random_seed = 0;

  // Errc::invalid_argument naming the first field out of range.
  Status validate() const;
};

}  // namespace dfs::replicate
