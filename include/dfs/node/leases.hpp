// LeaseBook: the leases this peer grants on chunks other peers store here
// (DESIGN.md §4 "Leases and GC"). A chunk received by PUT_CHUNK (a first
// placement or a repair copy) is kept at least `length` after it last
// arrived or was renewed; GC collects it after that unless a file of this
// peer references it.
//
// Leases are buffered in memory and written to the index in batches (one
// transaction per flush, not per chunk, on the hot receive path): when
// kFlushBatch are buffered, and by the node's GC loop every few seconds.
// A buffered lease holds its chunk in InFlightChunks until it is flushed,
// so GC never sees the chunk unleased in between. A crash loses at most
// the leases buffered since the last flush; those chunks are then
// collectable, and their owners' repair puts them back (with a lease).
//
// Renewal: a lease is extended whenever the chunk arrives again, and when
// a peer entitled to it asks this one HAS_CHUNKS about it: the peer that
// put it here (recorded with the lease), any peer whose question is signed
// by the lease key the placer sent with it (issue 15: a machine that
// recovered the placer's namespace, replicate/keyed_renewal.hpp), or one
// of its current holders — never an arbitrary peer (issue 10: a stranger
// cannot keep junk alive).
// Every repair round asks the R closest peers about the chunks the asker
// has: the other holders ask about what they serve, and the owner, which
// placed them, about its own files' chunks in its cache/ (Replicator's
// `owned` store, PeerOptions::owned_chunks) and about every other chunk
// its index references (PeerOptions::referenced_chunks: a recovered
// mount's tree, which it has not fetched). So a chunk held here lives
// while its owner's node runs repair at least once per `length` (or some
// other holder keeps checking it), and `length` after that.
//
// Thread-safe: one mutex guards the buffer and its hold.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "dfs/index/index.hpp"
#include "dfs/replicate/chunk_server.hpp"
#include "dfs/store/in_flight.hpp"
#include "dfs/util/clock.hpp"

namespace dfs::node {

// 31 days (as Tahoe-LAFS): a chunk outlives its owner's machine by weeks,
// time to recover the namespace on a new one (issue 15, `dfsmount
// --recover`), which then takes over renewing. The owner renews every
// repair round (10 minutes by default), far more often than needed.
inline constexpr std::chrono::seconds kDefaultLeaseLength{31 * 24 * 3600};


class LeaseBook final : public replicate::LeaseRecorder {
 public:
  static constexpr std::size_t kFlushBatch = 256;

  // `index` and `in_flight` must outlive the book.
  LeaseBook(index::Index& index, store::InFlightChunks& in_flight, std::chrono::seconds length,
            UnixClock clock = unix_seconds);
  ~LeaseBook() override;

  void lease(const ChunkId& id, const dht::NodeId& placer, const replicate::PlacerKey& key) override;
  void renew(const ChunkId& id) override;
  // Both flush first, so that the placers (and keys) of buffered leases
  // are known. A keyed renewal dated more than replicate::kMaxRenewalSkew
  // ahead of this clock renews nothing.
  void renew_placed_by(const std::vector<ChunkId>& ids, const dht::NodeId& asker,
                       const replicate::PlacerKey& key) override;
  void renew_keyed(const std::vector<ChunkId>& ids, const crypto::PublicKey& key, std::int64_t issued_at) override;
  // Writes the buffered leases to the index, expiring `length` from now.
  // On failure they stay buffered (and held) for the next flush.
  Status flush();

  std::chrono::seconds length() const { return length_; }

 private:
  index::Index& index_;
  store::InFlightChunks& in_flight_;
  const std::chrono::seconds length_;
  const UnixClock clock_;
  std::mutex mu_;  // guards buffer_ and hold_
  // Grants no lease yet records; renew_placed_by's go to the index directly.
  void buffer(index::Index::LeaseGrant grant);

  std::vector<index::Index::LeaseGrant> buffer_;
  store::InFlightChunks::Hold hold_;
  std::mutex flush_mu_;  // one flush at a time, so leases reach the index in order
};

}  // namespace dfs::node
