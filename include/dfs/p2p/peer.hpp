// Peer: the P2P engine of a running node (DESIGN.md §4, §6) — the TLS
// transport, the Kademlia DHT, the chunk service and the Replicator, all on
// one network thread running a Boost.Asio io_context — offered to Node as a
// ChunkNetwork of blocking calls.
//
// Threads: the network thread owns the transport, the DHT and the
// Replicator; other threads reach them only by posting to it (the blocking
// ChunkNetwork calls do that and wait on a future with a deadline). Disk
// work of the chunk service and the Replicator runs on a worker pool, never
// on the network thread.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dfs/crypto/signing.hpp"
#include "dfs/dht/record_board.hpp"
#include "dfs/net/tls_transport.hpp"
#include "dfs/replicate/chunk_network.hpp"
#include "dfs/replicate/chunk_server.hpp"
#include "dfs/replicate/local_chunks.hpp"
#include "dfs/store/chunk_store.hpp"

namespace dfs::p2p {

using replicate::ChunkNetwork;
using replicate::PeerSummary;
using replicate::ReplicationStream;
using replicate::ReplicationSummary;

// How fast other peers may push chunks here (PUT_CHUNK), each answered
// "busy" beyond (the placer then tries another peer, or later).
struct PutLimits {
  // Per peer (node ID) and, separately, per IP address; 0: no limit.
  // Generous: an owner pushing its own put must not be slowed; they bound
  // what one stranger can make the disk and the budget take per second.
  std::uint64_t bytes_per_second = 256u << 20;
  std::size_t chunks_per_second = 1024;
  // Bytes of PUTs received and not yet stored, all peers together.
  std::uint64_t max_queued_bytes = 128u << 20;
};

struct PeerOptions {
  std::string data_dir;                  // holds identity.pem
  std::string listen = "127.0.0.1:0";    // HOST:PORT, [IPV6]:PORT (port 0: any free port)
  std::vector<std::string> bootstrap;    // HOST:PORT of peers to join through
  // HOST:PORTs other peers should dial to reach this one, tried in this
  // order (a dual-stack peer lists one of each family); at most
  // net::kMaxAddressesPerPeer. Empty: `listen`. Needed when listening on a
  // wildcard ("0.0.0.0:4001", "[::]:4001").
  std::vector<std::string> advertise;
  std::optional<Bytes> network_key;      // a private network's shared secret
  // The transport's limits (connections, queues, deadlines); its
  // network_key is replaced by the one above.
  net::TlsTransportOptions net;
  std::size_t replicas = 3;              // R
  std::chrono::milliseconds repair_interval{std::chrono::minutes(10)};
  std::chrono::milliseconds rpc_timeout{std::chrono::seconds(5)};
  std::chrono::milliseconds fetch_timeout{std::chrono::seconds(30)};
  // Records a lease on every chunk another peer puts here (Node::leases());
  // not owned, must outlive the Peer. Null: no leases (tests).
  replicate::LeaseRecorder* leases = nullptr;
  // Chunks of this node's own files that it keeps but does not serve
  // (Node::cache()): repair covers them too, so the owner renews their
  // leases on their holders and restores missing copies. Not owned, must
  // outlive the Peer. Null: repair covers the served store only.
  store::ChunkStore* owned_chunks = nullptr;
  // The chunks this node's files reference (Node's index), held here or
  // not: repair asks their holders about them too, so a mount recovered
  // on a new machine (issue 15) renews the leases of its whole tree, not
  // only of what it has read. Empty: the local stores only.
  replicate::ReferencedChunks referenced_chunks;
  // The lease key of this node's namespace (crypto::RecoveryKey::
  // lease_key): sent with every chunk placed and signing every HAS, so
  // that a machine that recovers the namespace renews what this one
  // placed (replicate/keyed_renewal.hpp). None: leases by node ID only.
  std::optional<crypto::SigningKey> lease_key;
  // The lease keys recorded with the chunks others put here (Node's
  // index): the copies repair makes carry the owner's key, not this
  // node's, so the owner's keyed renewals cover them. Empty: none.
  replicate::PlacerKeyOf lease_keys;
  // Where chunks other peers put here go, under their own budget (its
  // quota; DataDir::held()); it must also be part of the store given to
  // start() (DataDir::served()). Not owned, must outlive the Peer.
  // Null: into that store (tests).
  store::ChunkStore* held_chunks = nullptr;
  // The budget for held_chunks, for `dfs node`/dfsmount to open it with
  // (NodeOptions::storage_for_others); the Peer itself reads the quota.
  std::uint64_t storage_for_others = replicate::kDefaultStorageForOthers;
  PutLimits put_limits;
  // Storage challenges (PROVE_CHUNK) answered per peer and per address a
  // second, twice that in a burst; "busy" beyond. Each costs a read of a
  // whole chunk; repair asks a holder for a few per round.
  std::size_t challenges_per_second = 8;
};

class Peer final : public ChunkNetwork, public dht::RecordBoard {
 public:
  // Loads (or creates) the identity, listens, starts the network thread,
  // joins through the bootstrap peers in the background, and starts repair
  // on `store` (the chunks this peer is responsible for; must outlive it)
  // and on options.owned_chunks.
  static Result<std::unique_ptr<Peer>> start(const PeerOptions& options, store::ChunkStore& store);
  ~Peer() override;

  std::string node_id_hex() const;
  std::string listen_address() const;

  Result<Bytes> fetch(const ChunkId& id) override;
  ReplicationSummary replicate(const std::vector<ChunkId>& ids) override;
  std::unique_ptr<ReplicationStream> start_replication() override;
  replicate::NetworkStatus status() override;
  std::vector<PeerSummary> peers() override;
  Result<std::vector<replicate::ChunkLocation>> locate(const std::vector<ChunkId>& ids) override;

  // DHT records (dht/record_board.hpp), e.g. the recovery pointer.
  Status publish(dht::Record record) override;
  Result<std::vector<dht::Record>> find(const dht::NodeId& key) override;

  // Takes `key` as PeerOptions::lease_key from now on, for the chunks it
  // places and the leases it renews: a recovery key made while the peer
  // runs (dfs recovery-key, issue 15).
  Status set_lease_key(crypto::SigningKey key);

  // Stops repair, closes every connection and joins the network thread.
  void stop();

  struct Impl;

 private:
  explicit Peer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A network key holds at least this many bytes (of random key material:
// `dfs keygen` writes 32 random bytes in hex).
inline constexpr std::size_t kMinNetworkKeySize = 32;

// Reads a network key file: its bytes, exactly (a trailing newline counts).
// Refuses a file readable by group or others (the message says how to fix
// it) and a key shorter than kMinNetworkKeySize.
Result<Bytes> read_network_key(const std::string& path);
// `dfs keygen FILE`: a new network key in a new file (mode 0600, never
// over an existing file).
Status write_network_key(const std::string& path);

}  // namespace dfs::p2p
