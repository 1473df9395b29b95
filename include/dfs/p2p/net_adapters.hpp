// The adapters that put the socket-free DHT and replication logic on the
// real network: a Scheduler over a Boost.Asio io_context, a dht::Transport
// and a replicate::ChunkClient over net::Transport (TLS). All of them live
// on the io_context's one thread (the network thread), like what they serve.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "dfs/crypto/signing.hpp"
#include "dfs/util/scheduler.hpp"
#include "dfs/dht/transport.hpp"
#include "dfs/net/transport.hpp"
#include "dfs/p2p/dialer.hpp"
#include "dfs/replicate/chunk_client.hpp"

namespace dfs::p2p {

class AsioScheduler final : public Scheduler {
 public:
  explicit AsioScheduler(boost::asio::io_context& io) : io_(io) {}
  ~AsioScheduler() override;
  std::chrono::steady_clock::time_point now() override { return std::chrono::steady_clock::now(); }
  std::uint64_t schedule(std::chrono::milliseconds delay, std::function<void()> fn) override;
  void cancel(std::uint64_t timer) override;

 private:
  boost::asio::io_context& io_;
  std::uint64_t next_id_ = 1;
  // Network thread only.
  std::unordered_map<std::uint64_t, std::shared_ptr<boost::asio::steady_timer>> timers_;
};

// DHT RPCs as wire envelopes, sent through the Dialer (each of a
// contact's addresses in turn). A peer that proves another ID than
// expected is reported as unavailable, as dht::Transport asks.
class NetDhtTransport final : public dht::Transport {
 public:
  NetDhtTransport(std::shared_ptr<Dialer> dialer, std::chrono::milliseconds timeout)
      : dialer_(std::move(dialer)), timeout_(timeout) {}
  void send(const dht::Contact& to, dht::Request request, std::function<void(Result<dht::Reply>)> on_done) override;

 private:
  std::shared_ptr<Dialer> dialer_;
  std::chrono::milliseconds timeout_;
};

// Chunk RPCs, through the Dialer; sealed bytes travel as the frame's raw
// payload. With a lease key (a node whose data directory has a recovery
// key, issue 15), every PUT carries its public half and every HAS a
// renewal signed by it for the peer asked (replicate/keyed_renewal.hpp),
// as `self`.
//
// Small PUTs are batched (issue 12): the PUTs of chunks up to
// kMaxBatchedChunkSize asked for one peer (and lease key) go out together
// as one PUT_CHUNKS, and each `done` gets its own chunk's outcome. A batch
// goes when the network thread next turns (a post on `io`), unless
// kBatchesInFlight of them to that peer are still unanswered: it then
// fills until one is answered (self-clocked, as a receiver's group commit
// is: the slower the peer commits, the larger the batches), and goes at
// once when full (kMaxPutBatchChunks, kMaxPutBatchBytes). A lone PUT to a
// quiet peer waits for nothing: it goes out as PUT_CHUNK on that next
// turn. A peer that does not know PUT_CHUNKS (it answers
// invalid_argument) gets that batch again as single PUT_CHUNKs, and only
// those from then on.
class NetChunkClient final : public replicate::ChunkClient {
 public:
  NetChunkClient(std::shared_ptr<Dialer> dialer, boost::asio::io_context& io, std::chrono::milliseconds timeout,
                 std::optional<crypto::SigningKey> lease_key = std::nullopt, dht::NodeId self = {});
  void put_chunk(const dht::Contact& to, const ChunkId& id, SharedBytes sealed, const replicate::PlacerKey& lease_key,
                 std::function<void(Status)> done) override;
  void get_chunk(const dht::Contact& to, const ChunkId& id, std::function<void(Result<Bytes>)> done) override;
  void has_chunks(const dht::Contact& to, std::vector<ChunkId> ids,
                  std::function<void(Result<std::vector<bool>>)> done) override;
  void prove_chunk(const dht::Contact& to, const ChunkId& id, const replicate::ProofNonce& nonce,
                   std::function<void(Result<crypto::Digest>)> done) override;
  // The lease key from now on: a recovery key made while the peer runs
  // (dfs recovery-key). Loop thread only, like every call above.
  void set_lease_key(crypto::SigningKey key) { lease_key_ = std::move(key); }

  // Batches sent and the chunks they carried, for tests and benchmarks.
  struct BatchStats {
    std::uint64_t batches = 0;
    std::uint64_t chunks = 0;
  };
  BatchStats batch_stats() const { return batches_->stats; }

 private:
  struct SmallPut {
    ChunkId id;
    SharedBytes sealed;
    std::function<void(Status)> done;
  };
  struct Batch {
    dht::Contact to;
    replicate::PlacerKey key;
    std::vector<SmallPut> puts;
    std::size_t bytes = 0;
  };
  // The batches being filled, shared with the posted flush (which may run
  // after the client is gone: it then does nothing).
  struct Batches {
    std::vector<Batch> open;  // at most one per (peer, key)
    bool flush_posted = false;
    // Batches sent to each peer and not answered yet (peers with none
    // are not listed).
    std::unordered_map<dht::NodeId, std::size_t> in_flight;
    BatchStats stats;
  };
  static constexpr std::size_t kBatchesInFlight = 2;

  void call(const dht::Contact& to, wire::Envelope request, SharedBytes payload,
            std::function<void(Result<net::Message>)> done);
  void put_single(const dht::Contact& to, const ChunkId& id, SharedBytes sealed, const replicate::PlacerKey& key,
                  std::function<void(Status)> done);
  void send_batch(Batch batch);
  // Sends the open batches whose peer has fewer than kBatchesInFlight
  // unanswered (`only`: those of that peer alone).
  void flush(const dht::NodeId* only = nullptr);

  std::shared_ptr<Dialer> dialer_;
  boost::asio::io_context& io_;
  std::chrono::milliseconds timeout_;
  std::optional<crypto::SigningKey> lease_key_;
  const dht::NodeId self_;
  std::shared_ptr<Batches> batches_ = std::make_shared<Batches>();
  // Peers that answered PUT_CHUNKS as a request they do not know; bounded
  // (cleared when full: the cost is one refused batch each).
  std::unordered_set<dht::NodeId> single_puts_only_;
};

// HAS_CHUNKS answers as a bitmap, bit i of byte i/8 (LSB first).
std::string presence_to_bitmap(const std::vector<bool>& present);
Result<std::vector<bool>> presence_from_bitmap(const std::string& bitmap, std::size_t count);

}  // namespace dfs::p2p
