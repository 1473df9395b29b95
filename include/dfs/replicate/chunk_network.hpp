// ChunkNetwork: what the local side (node/, fs/) needs from the P2P engine,
// as blocking calls it can make from its own threads. Implemented by
// p2p/peer (TLS, DHT and replicate/ on a network thread); absent for a lone
// peer. Header only: fs/ and node/ use it without linking p2p/.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include <cstdint>
#include <string>

#include "dfs/chunk/chunk_id.hpp"
#include "dfs/replicate/repair_health.hpp"
#include "dfs/replicate/chunk_location.hpp"
#include "dfs/util/bytes.hpp"
#include "dfs/util/result.hpp"

namespace dfs::replicate {

// What the network side of a peer reports for `dfs status`.
struct NetworkStatus {
  std::string node_id;  // hex
  std::string listen_address;
  std::uint32_t peers = 0;  // contacts in the routing table
  // Whether other peers can dial this one (p2p/reachability.hpp), in words.
  std::string reachable;
  std::uint32_t replicas = 1;
  HealthSnapshot health;          // the chunks short of copies now (repair_health.hpp)
  std::uint64_t repair_copies = 0;  // copies repair made since the peer started
  std::int64_t last_sweep_started = 0;  // ReplicatorStats::last_sweep_started
  // The limits on what other peers can make this node hold, and what they
  // refused so far: one line each (net::TlsTransport::describe_limits).
  std::vector<std::string> limits;
};

struct PeerSummary {
  std::string node_id;  // hex
  std::string address;  // its addresses, comma-separated, in the order tried
  // Reachability, from the routing table: how long ago the peer last
  // answered or sent a DHT request, and the RPCs to it that failed in a
  // row since (the table drops it after a few).
  std::uint64_t last_seen_seconds = 0;
  std::uint32_t failures = 0;
};

struct ReplicationSummary {
  std::uint32_t wanted = 0;         // R
  std::uint32_t min_confirmed = 0;  // fewest copies confirmed for any chunk
  // Chunks this peer is not one of the R closest to: once the others hold
  // them, they need not stay in this peer's store.
  std::vector<ChunkId> not_ours;
  // Chunks with no copy confirmed on another peer (the placement failed,
  // or only this peer holds one; with R = 1 this peer's own copy is the
  // placement): what a namespace snapshot must not name yet (issue 15).
  std::vector<ChunkId> unplaced;
};

// Places the chunks of one version on the network while the writer is
// still producing them (store/version_writer.hpp's sink), instead of
// after: the transfers overlap with reading, sealing and storing the file,
// and no chunk is read back from the disk or hashed again.
// add() may be called from several threads at once (the writer's pool);
// finish() from one, after the last add().
class ReplicationStream {
 public:
  virtual ~ReplicationStream() = default;
  // Starts placing the chunk (whose sealed bytes hash to `id`) on the R
  // closest peers. Blocks while the stream's window of chunks in flight
  // is full, so memory stays bounded whatever the file size. Safe to call
  // from several threads at once (a put seals chunks in parallel).
  virtual void add(const ChunkId& id, std::shared_ptr<const Bytes> sealed) = 0;
  // Waits for every chunk added and sums them up. Call once, last.
  virtual ReplicationSummary finish() = 0;
};

class ChunkNetwork {
 public:
  virtual ~ChunkNetwork() = default;
  // The chunk from the peers closest to its ID, verified against `id`.
  virtual Result<Bytes> fetch(const ChunkId& id) = 0;
  // Places each chunk (already in the local store) on the R closest peers.
  virtual ReplicationSummary replicate(const std::vector<ChunkId>& ids) = 0;
  // A stream for the chunks of one put (see ReplicationStream). The
  // default collects the IDs and calls replicate() in finish(): right for
  // any network, with no overlap.
  virtual std::unique_ptr<ReplicationStream> start_replication();
  virtual NetworkStatus status() = 0;
  virtual std::vector<PeerSummary> peers() = 0;
  // Which of the R closest live peers hold each chunk, in the order asked
  // (Replicator::locate): `dfs where` and `dfs check`.
  virtual Result<std::vector<ChunkLocation>> locate(const std::vector<ChunkId>& ids) {
    (void)ids;
    return make_error(Errc::not_supported, "this network cannot locate chunks");
  }
};

namespace detail {
class ReplicateAtFinish final : public ReplicationStream {
 public:
  explicit ReplicateAtFinish(ChunkNetwork& network) : network_(network) {}
  void add(const ChunkId& id, std::shared_ptr<const Bytes>) override {
    std::lock_guard lock(mu_);
    ids_.push_back(id);
  }
  ReplicationSummary finish() override {
    std::lock_guard lock(mu_);
    return network_.replicate(ids_);
  }

 private:
  ChunkNetwork& network_;
  std::mutex mu_;  // guards ids_
  std::vector<ChunkId> ids_;
};
}  // namespace detail

inline std::unique_ptr<ReplicationStream> ChunkNetwork::start_replication() {
  return std::make_unique<detail::ReplicateAtFinish>(*this);
}

}  // namespace dfs::replicate
