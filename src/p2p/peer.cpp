#include "dfs/p2p/peer.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <fcntl.h>
#include <sys/stat.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "dfs/crypto/crypto.hpp"
#include "dfs/dht/dht.hpp"
#include "dfs/net/address.hpp"
#include "dfs/net/tls_transport.hpp"
#include "dfs/p2p/chunk_wire.hpp"
#include "dfs/p2p/dht_wire.hpp"
#include "dfs/p2p/net_adapters.hpp"
#include "dfs/p2p/reachability.hpp"
#include "dfs/replicate/blocking_runner.hpp"
#include "dfs/replicate/chunk_server.hpp"
#include "dfs/replicate/replicator.hpp"
#include "dfs/util/encoding.hpp"
#include "dfs/util/file.hpp"
#include "dfs/util/log.hpp"
#include "dfs/util/rate_limit.hpp"
#include "dfs/util/worker_pool.hpp"

namespace dfs::p2p {

namespace {

// Chunks one replicate() call places at once: each needs a DHT lookup, and
// the Replicator queues their transfers behind its own limit anyway.
constexpr std::size_t kReplicationsInFlight = 16;
// Worker threads for the chunk service's and the Replicator's disk work.
constexpr std::size_t kDiskThreads = 4;
// Threads serving PUT_CHUNK. Each waits until its chunk is durable, in a
// group commit with the PUTs that arrived meanwhile: the pool's width is
// the largest group, so it is wider than the disk pool, and its threads
// mostly sleep. It also keeps PUTs from starving GETs of the disk pool.
constexpr std::size_t kPutThreads = 16;
// What the peer's streams (ReplicationStream: every put, every version the
// mount writes) have in flight at once, all together: sealed bytes enough
// to keep parallel_transfers busy with R copies of full chunks each, and a
// bound on bytes held however many streams run. Small chunks (the files of
// a tree) are counted by their size, so many more are in flight and the
// holders' group commits each sync many of them; the count only bounds the
// bookkeeping.
constexpr std::uint64_t kStreamWindowBytes = 24 << 20;
constexpr std::size_t kStreamWindowChunks = 512;
// Peers (and addresses) whose PUT rates are remembered at once; beyond,
// only idle ones are forgotten, so a crowd of new IDs is refused rather
// than given fresh buckets.
constexpr std::size_t kRateLimitedKeys = 4096;

// The window all of a peer's streams share.
struct StreamWindow {
  std::mutex mu;  // guards in_flight and the State of every stream
  std::condition_variable cv;  // signalled whenever a streamed chunk is placed
  std::size_t in_flight = 0;
  std::uint64_t bytes = 0;  // sealed bytes of those chunks

  // Room for one more chunk of `size` bytes (always for one, however large).
  bool has_room_for(std::uint64_t size) const {
    return in_flight == 0 || (in_flight < kStreamWindowChunks && bytes + size <= kStreamWindowBytes);
  }
};

std::string hex_of(const net::NodeIdBytes& id) { return dht::NodeId{id}.hex(); }

}  // namespace

struct Peer::Impl {
  explicit Impl(PeerOptions opts, store::ChunkStore& s)
      : options(std::move(opts)),
        store(s),
        work(io.get_executor()),
        pool(kDiskThreads),
        put_pool(kPutThreads),
        chunk_server(s, options.held_chunks, options.leases),
        puts_by_peer(put_rate(options.put_limits), kRateLimitedKeys),
        puts_by_address(put_rate(options.put_limits), kRateLimitedKeys),
        proofs_by_peer(proof_rate(options), kRateLimitedKeys),
        proofs_by_address(proof_rate(options), kRateLimitedKeys) {}

  static KeyedRateLimiter::Limits put_rate(const PutLimits& l) {
    return {static_cast<double>(l.bytes_per_second), static_cast<double>(l.chunks_per_second), 2.0};
  }
  static KeyedRateLimiter::Limits proof_rate(const PeerOptions& o) {
    return {0, static_cast<double>(o.challenges_per_second), 2.0};
  }

  void handle_request(const net::PeerInfo& from, net::Message request, net::Responder respond);
  void serve_chunk_request(const net::PeerInfo& from, net::Message request, net::Responder respond);
  void serve_put_batch(const net::PeerInfo& from, net::Message request, net::Responder respond);
  bool among_closest(const dht::NodeId& peer, const ChunkId& id) const;
  // Null if a PUT of chunk `id` (`size` bytes) from `from` may go on; else
  // why it is refused: this node is not among the chunk's closest peers,
  // or admit_put's "busy".
  std::optional<Error> refuse_put(const net::PeerInfo& from, const ChunkId& id, std::uint64_t size);
  // Null if a PUT of `bytes` from `from` may go on; else why it is refused
  // ("busy"). Takes from the rate limits and, when admitted, adds the bytes
  // to puts_queued (the caller takes them off once stored).
  std::optional<Error> admit_put(const net::PeerInfo& from, std::uint64_t bytes);
  // Whether a request of `bytes` from `from` fits both its peer's and its
  // address's buckets (and if so, takes it from both).
  static bool admit(KeyedRateLimiter& by_peer, KeyedRateLimiter& by_address, const net::PeerInfo& from,
                    std::uint64_t bytes);
  std::string describe_storage_for_others() const;
  void join();
  // Judges, every second until a peer dialed us, whether other peers can
  // (reachability.hpp). A peer known to be unreachable does not count its
  // own copies as replicas (its Dht self has no address); until then it
  // does, as before it knew.
  void check_reachability();
  std::chrono::milliseconds reachability_wait() const {
    // A dial-back is one PING with the DHT's timeout; twice leaves room
    // for a second try.
    return 2 * (options.rpc_timeout + std::chrono::seconds(1));
  }

  // Runs `start` on the network thread and waits up to `deadline` for the
  // result it delivers.
  template <typename T>
  Result<T> call_on_loop(std::chrono::milliseconds deadline,
                         std::function<void(std::function<void(Result<T>)>)> start) {
    auto promise = std::make_shared<std::promise<Result<T>>>();
    auto delivered = std::make_shared<std::atomic<bool>>(false);
    auto future = promise->get_future();
    boost::asio::post(io, [start = std::move(start), promise, delivered] {
      start([promise, delivered](Result<T> result) {
        if (!delivered->exchange(true)) promise->set_value(std::move(result));
      });
    });
    if (future.wait_for(deadline) != std::future_status::ready) {
      return make_error(Errc::timed_out, "the network did not answer within " +
                                             std::to_string(deadline.count()) + " ms");
    }
    return future.get();
  }

  PeerOptions options;
  store::ChunkStore& store;
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work;
  WorkerPool pool;  // disk work of the chunk service and the Replicator
  WorkerPool put_pool;  // PUT_CHUNK, which blocks until its group is durable
  std::unique_ptr<net::TlsTransport> transport;
  std::unique_ptr<AsioScheduler> scheduler;
  std::unique_ptr<NetDhtTransport> dht_transport;
  std::unique_ptr<dht::Dht> dht;
  std::unique_ptr<NetChunkClient> chunk_client;
  replicate::ChunkServer chunk_server;
  // Per-peer and per-address rates of PUT_CHUNK; network thread only.
  KeyedRateLimiter puts_by_peer;
  KeyedRateLimiter puts_by_address;
  std::atomic<std::uint64_t> puts_queued{0};  // bytes of admitted PUTs not yet stored
  std::atomic<std::uint64_t> puts_busy{0};    // PUTs answered busy
  std::atomic<std::uint64_t> put_batches{0};  // PUT_CHUNKS requests served (each of several chunks)
  // Per-peer and per-address rates of PROVE_CHUNK; network thread only.
  KeyedRateLimiter proofs_by_peer;
  KeyedRateLimiter proofs_by_address;
  std::atomic<std::uint64_t> proofs_busy{0};  // PROVE_CHUNKs answered busy
  std::unique_ptr<replicate::PoolRunner> runner;
  std::unique_ptr<replicate::Replicator> replicator;
  std::string node_id_hex;
  std::string listen_address;
  std::string dialable_address;  // what others dial; "" for an unadvertised wildcard
  Reachability reach{reachability_wait()};  // network thread only
  std::thread thread;
  std::atomic<bool> stopped{false};
  // Shared with the streams' callbacks, which may outlive a stream.
  std::shared_ptr<StreamWindow> stream_window = std::make_shared<StreamWindow>();
};

void Peer::Impl::handle_request(const net::PeerInfo& from, net::Message request, net::Responder respond) {
  if (!is_dht_request(request.env)) return serve_chunk_request(from, std::move(request), std::move(respond));
  auto parsed = dht_request_from_wire(request.env);
  if (!parsed.ok()) return respond.fail(parsed.take_error());
  // The ID is the one proven in the handshake; the address is where the
  // peer says it listens (empty for a peer that does not: not routed to).
  dht::Contact contact{dht::NodeId{from.id}, from.listen_address, from.more_listen_addresses};
  respond.reply(dht_response_to_wire(dht->handle(contact, *parsed)));
}

// Chunk requests touch the disk: they run on the pool, and the Responder
// (thread-safe) sends the answer from there.
void Peer::Impl::serve_chunk_request(const net::PeerInfo& from, net::Message request, net::Responder respond) {
  const wire::Envelope& env = request.env;
  switch (env.body_case()) {
    case wire::Envelope::kPutChunk: {
      auto id = chunk_id_from_wire(env.put_chunk().chunk_id());
      if (!id.ok()) return respond.fail(id.take_error());
      auto key = placer_key_from_wire(env.put_chunk());
      if (!key.ok()) return respond.fail(key.take_error());
      const std::uint64_t size = request.payload.size();
      if (auto refused = refuse_put(from, *id, size)) return respond.fail(*refused);
      put_pool.submit([this, id = *id, payload = std::move(request.payload), respond, placer = dht::NodeId{from.id},
                       key = *key, size] {
        Status stored = chunk_server.on_put(id, payload, placer, key);
        puts_queued.fetch_sub(size);
        if (!stored.ok()) return respond.fail(stored.error());
        wire::Envelope reply;
        reply.mutable_put_chunk_result();
        respond.reply(std::move(reply));
      });
      return;
    }
    case wire::Envelope::kPutChunks: return serve_put_batch(from, std::move(request), std::move(respond));
    case wire::Envelope::kGetChunk: {
      auto id = chunk_id_from_wire(env.get_chunk().chunk_id());
      if (!id.ok()) return respond.fail(id.take_error());
      pool.submit([this, id = *id, respond] {
        auto bytes = chunk_server.on_get(id);
        if (!bytes.ok()) return respond.fail(bytes.error());
        wire::Envelope reply;
        reply.mutable_get_chunk_result();
        respond.reply(std::move(reply), std::move(bytes).value());
      });
      return;
    }
    case wire::Envelope::kHasChunks: {
      if (static_cast<std::size_t>(env.has_chunks().chunk_ids_size()) > replicate::kMaxHasChunksBatch) {
        return respond.fail(make_error(Errc::too_large, "HAS_CHUNKS batch above the limit"));
      }
      std::vector<ChunkId> ids;
      // Whether the asker is one of each chunk's holders, by the routing
      // table (here, on the network thread): only then, or if it placed
      // the chunk, does its question renew the chunk's lease.
      auto renewal = renewal_from_wire(env.has_chunks());
      if (!renewal.ok()) return respond.fail(renewal.take_error());
      replicate::HasAsker asker{dht::NodeId{from.id}, {}, *renewal, dht->self().id};
      for (const auto& raw : env.has_chunks().chunk_ids()) {
        auto id = chunk_id_from_wire(raw);
        if (!id.ok()) return respond.fail(id.take_error());
        ids.push_back(*id);
        asker.holds.push_back(among_closest(asker.id, *id));
      }
      pool.submit([this, ids = std::move(ids), asker = std::move(asker), respond] {
        auto present = chunk_server.on_has(ids, asker);
        if (!present.ok()) return respond.fail(present.error());
        wire::Envelope reply;
        reply.mutable_has_chunks_result()->set_present_bitmap(presence_to_bitmap(*present));
        respond.reply(std::move(reply));
      });
      return;
    }
    case wire::Envelope::kProveChunk: {
      auto challenge = prove_request_from_wire(env);
      if (!challenge.ok()) return respond.fail(challenge.take_error());
      if (!admit(proofs_by_peer, proofs_by_address, from, 0)) {
        proofs_busy.fetch_add(1, std::memory_order_relaxed);
        return respond.fail(make_error(Errc::busy, "busy: you are asking for storage proofs faster than this peer "
                                                   "answers them for one peer; try later"));
      }
      pool.submit([this, challenge = *challenge, respond] {
        auto proof = chunk_server.on_prove(challenge.id, challenge.nonce);
        if (!proof.ok()) return respond.fail(proof.error());
        respond.reply(proof_to_wire(*proof));
      });
      return;
    }
    default:
      respond.fail(make_error(Errc::invalid_argument, "this peer does not serve that request"));
  }
}

// PUT_CHUNKS: each chunk is refused or admitted as a PUT_CHUNK of its own
// would be (placement, rates, queue); those admitted are checked and
// stored by one task of the put pool, in one group commit, and the answer
// gives each chunk's outcome. Only a malformed batch is refused whole.
void Peer::Impl::serve_put_batch(const net::PeerInfo& from, net::Message request, net::Responder respond) {
  auto batch = put_batch_from_wire(request.env, request.payload.size());
  if (!batch.ok()) return respond.fail(batch.take_error());
  put_batches.fetch_add(1, std::memory_order_relaxed);
  std::vector<Status> outcomes(batch->chunks.size());
  std::vector<std::size_t> admitted;  // indices into batch->chunks
  std::uint64_t admitted_bytes = 0;
  for (std::size_t i = 0; i < batch->chunks.size(); ++i) {
    const BatchedChunk& chunk = batch->chunks[i];
    if (auto refused = refuse_put(from, chunk.id, chunk.size)) {
      outcomes[i] = std::move(*refused);
    } else {
      admitted.push_back(i);
      admitted_bytes += chunk.size;
    }
  }
  if (admitted.empty()) return respond.reply(put_batch_result_to_wire(outcomes));
  put_pool.submit([this, batch = std::move(batch).value(), admitted = std::move(admitted), admitted_bytes,
                   payload = std::move(request.payload), outcomes = std::move(outcomes), respond,
                   placer = dht::NodeId{from.id}]() mutable {
    std::vector<replicate::ChunkServer::PutItem> items;
    items.reserve(admitted.size());
    for (std::size_t i : admitted) {
      const BatchedChunk& c = batch.chunks[i];
      items.push_back({c.id, ByteView(payload).subspan(c.offset, c.size)});
    }
    std::vector<Status> stored = chunk_server.on_put_many(items, placer, batch.key);
    puts_queued.fetch_sub(admitted_bytes);
    for (std::size_t j = 0; j < admitted.size(); ++j) outcomes[admitted[j]] = std::move(stored[j]);
    respond.reply(put_batch_result_to_wire(outcomes));
  });
}

std::optional<Error> Peer::Impl::refuse_put(const net::PeerInfo& from, const ChunkId& id, std::uint64_t size) {
  if (!among_closest(dht->self().id, id)) {
    return make_error(Errc::permission_denied, "refused: this peer is not among the closest to chunk " +
                                                   id.short_hex() +
                                                   " that it knows, so placement would not choose it");
  }
  return admit_put(from, size);
}

// Whether `peer` is among the peers placement would give chunk `id`, as
// far as this node knows: among the 2R + 2 closest to it. A node stores
// for others only such chunks (issue 10), and takes lease renewals from
// such peers (the chunk's holders). Views of the network differ between
// peers (churn, a table still filling), hence the slack. In a network
// smaller than the window, every peer is among them.
bool Peer::Impl::among_closest(const dht::NodeId& peer, const ChunkId& id) const {
  const std::size_t window = 2 * replicator->config().replicas + 2;
  const dht::NodeId target = dht::NodeId::from_chunk(id);
  const auto nearest = dht->closest_known(target, window);
  return nearest.size() < window || peer == nearest.back().id || dht::closer(target, peer, nearest.back().id);
}

bool Peer::Impl::admit(KeyedRateLimiter& by_peer, KeyedRateLimiter& by_address, const net::PeerInfo& from,
                       std::uint64_t bytes) {
  const auto now = std::chrono::steady_clock::now();
  auto host = net::parse_host_port(from.address);
  const std::string address = host.ok() ? host->host : from.address;
  const std::string peer(from.id.begin(), from.id.end());
  return by_peer.admit(peer, bytes, now) && by_address.admit(address, bytes, now);
}

std::optional<Error> Peer::Impl::admit_put(const net::PeerInfo& from, std::uint64_t bytes) {
  std::optional<Error> busy;
  if (!admit(puts_by_peer, puts_by_address, from, bytes)) {
    busy = make_error(Errc::busy, "busy: you are putting chunks faster than this peer takes them from one peer; "
                                  "try another peer or later");
  } else if (puts_queued.fetch_add(bytes) + bytes > options.put_limits.max_queued_bytes &&
             options.put_limits.max_queued_bytes != 0) {
    puts_queued.fetch_sub(bytes);
    busy = make_error(Errc::busy, "busy: this peer has too many chunks to store queued; try another peer or later");
  }
  if (busy) puts_busy.fetch_add(1, std::memory_order_relaxed);
  return busy;
}

// One line for `dfs status`: what other peers' chunks take of their budget.
std::string Peer::Impl::describe_storage_for_others() const {
  const auto mib = [](std::uint64_t b) { return std::to_string(b >> 20) + " MiB"; };
  const auto stats = chunk_server.stats();
  std::string line = "storage for others: ";
  if (options.held_chunks != nullptr) {
    const store::Usage held = options.held_chunks->usage();
    line += mib(held.bytes) + " in " + std::to_string(held.chunks) + " chunks, budget " +
            (held.quota_bytes == 0 ? std::string("unlimited") : mib(held.quota_bytes)) + "; ";
  }
  const PutLimits& l = options.put_limits;
  return line + std::to_string(stats.puts_stored) + " puts stored (" + std::to_string(put_batches.load()) +
         " batches), " + std::to_string(stats.puts_full) +
         " refused as full, " + std::to_string(stats.puts_refused - stats.puts_full) + " refused otherwise; " +
         "put rate per peer and per address: " + mib(l.bytes_per_second) + "/s, " +
         std::to_string(l.chunks_per_second) + " chunks/s, queue " + mib(l.max_queued_bytes) + " (" +
         std::to_string(puts_busy.load()) + " busy answers)";
}

// Joins through the bootstrap peers; while none answers, tries again, so
// a peer started before its seeds still finds the network.
void Peer::Impl::join() {
  if (options.bootstrap.empty() || stopped.load()) return;
  std::vector<dht::Contact> seeds;
  for (const auto& address : options.bootstrap) seeds.push_back(dht::Contact{dht::NodeId{}, address});
  dht->bootstrap(seeds, [this](Status joined) {
    if (joined.ok()) {
      log::info("joined the network: " + std::to_string(dht->table().size()) + " peers known");
      reach.joined(scheduler->now());
      return;
    }
    log::warn("could not join through the bootstrap peers (" + joined.error().message + "); retrying");
    scheduler->schedule(std::chrono::seconds(2), [this] { join(); });
  });
}

void Peer::Impl::check_reachability() {
  if (stopped.load()) return;
  const Reachability::State before = reach.state();
  const Reachability::State now = reach.update(transport->dialed_in(), scheduler->now());
  if (now != before) {
    // Until known unreachable a peer counts its own copies as replicas (as
    // a seed must); once known, repair moves those to peers others reach.
    const bool unreachable = now == Reachability::State::unreachable;
    dht->set_self_address(unreachable ? std::string() : dialable_address);
    log::write(unreachable ? log::Level::warn : log::Level::info, "reachable: " + reach.describe(dialable_address));
  }
  if (now != Reachability::State::reachable) {
    scheduler->schedule(std::chrono::seconds(1), [this] { check_reachability(); });
  }
}

Result<std::unique_ptr<Peer>> Peer::start(const PeerOptions& options, store::ChunkStore& store) {
  auto impl = std::make_unique<Impl>(options, store);
  DFS_ASSIGN_OR_RETURN(net::Identity identity, net::Identity::load_or_create(options.data_dir + "/identity.pem"));
  const net::NodeIdBytes self_id = identity.node_id();
  net::TlsTransportOptions net_options = options.net;
  net_options.network_key = options.network_key;
  if (!options.advertise.empty()) {
    net_options.advertised_address = options.advertise.front();
    net_options.more_advertised_addresses.assign(options.advertise.begin() + 1, options.advertise.end());
  }
  DFS_ASSIGN_OR_RETURN(impl->transport, net::TlsTransport::create(impl->io, std::move(identity), net_options));
  Impl* raw = impl.get();
  impl->transport->set_request_handler([raw](const net::PeerInfo& from, net::Message request, net::Responder respond) {
    raw->handle_request(from, std::move(request), std::move(respond));
  });
  DFS_ASSIGN_OR_RETURN(const net::HostPort host_port, net::parse_host_port(options.listen));
  DFS_TRY(impl->transport->listen(host_port.host, host_port.port));
  impl->dialable_address = impl->transport->listen_address();
  impl->listen_address = impl->dialable_address;
  if (impl->listen_address.empty()) impl->listen_address = options.listen;  // a wildcard, not advertised
  impl->node_id_hex = hex_of(self_id);

  impl->scheduler = std::make_unique<AsioScheduler>(impl->io);
  // Both adapters dial through one Dialer: an address the DHT found
  // working is where chunk requests go first too.
  auto dialer = std::make_shared<Dialer>(*impl->transport);
  impl->dht_transport = std::make_unique<NetDhtTransport>(dialer, options.rpc_timeout);
  dht::DhtConfig dht_config;
  // The DHT's own backstop must not fire before the transport's timeout.
  dht_config.request_timeout = options.rpc_timeout + std::chrono::seconds(1);
  impl->dht = std::make_unique<dht::Dht>(dht::Contact{dht::NodeId{self_id}, impl->dialable_address,
                                                      net_options.more_advertised_addresses},
                                         *impl->dht_transport, *impl->scheduler, dht_config);
  impl->chunk_client =
      std::make_unique<NetChunkClient>(dialer, impl->io, options.rpc_timeout * 6, options.lease_key, dht::NodeId{self_id});
  impl->runner = std::make_unique<replicate::PoolRunner>(
      impl->pool, [raw](std::function<void()> fn) { boost::asio::post(raw->io, std::move(fn)); });
  replicate::ReplicationConfig replication;
  replication.replicas = options.replicas;
  replication.repair_interval = options.repair_interval;
  replication.fetch_timeout = options.fetch_timeout;
  impl->replicator = std::make_unique<replicate::Replicator>(*impl->dht, *impl->chunk_client, store, *impl->scheduler,
                                                             replication, impl->runner.get(), options.owned_chunks,
                                                             options.referenced_chunks, options.lease_keys);
  boost::asio::post(impl->io, [raw] {
    raw->dht->start();
    raw->replicator->start();
    raw->join();
    raw->check_reachability();
  });
  impl->thread = std::thread([raw] { raw->io.run(); });
  log::info("peer " + impl->node_id_hex.substr(0, 12) + " listening on " + impl->listen_address);
  return std::unique_ptr<Peer>(new Peer(std::move(impl)));
}

Peer::Peer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Peer::~Peer() { stop(); }

void Peer::stop() {
  if (impl_->stopped.exchange(true)) return;
  Impl* raw = impl_.get();
  std::promise<void> quiet;
  boost::asio::post(raw->io, [raw, &quiet] {
    raw->replicator->stop();
    raw->dht->stop();
    raw->transport->stop();
    quiet.set_value();
  });
  quiet.get_future().wait_for(std::chrono::seconds(10));
  raw->work.reset();
  raw->io.stop();
  if (raw->thread.joinable()) raw->thread.join();
  // The Replicator and the DHT go before what they use; the transport only
  // once the io_context no longer runs (net/tls_transport.hpp).
  raw->replicator.reset();
  raw->dht.reset();
}

std::string Peer::node_id_hex() const { return impl_->node_id_hex; }
std::string Peer::listen_address() const { return impl_->listen_address; }

Result<Bytes> Peer::fetch(const ChunkId& id) {
  Impl* raw = impl_.get();
  return raw->call_on_loop<Bytes>(raw->options.fetch_timeout + std::chrono::seconds(5),
                                  [raw, id](std::function<void(Result<Bytes>)> deliver) {
                                    raw->replicator->fetch(id, std::move(deliver));
                                  });
}

Result<std::vector<replicate::ChunkLocation>> Peer::locate(const std::vector<ChunkId>& ids) {
  Impl* raw = impl_.get();
  // Chunks are located a window at a time (replicate/locate.cpp), each
  // with a lookup and a HAS_CHUNKS under their own timeouts: a backstop
  // that grows with the file.
  const auto deadline = raw->options.rpc_timeout * (4 + static_cast<std::int64_t>(ids.size() / 8));
  return raw->call_on_loop<std::vector<replicate::ChunkLocation>>(
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline),
      [raw, ids](std::function<void(Result<std::vector<replicate::ChunkLocation>>)> deliver) {
        raw->replicator->locate(ids, [deliver](std::vector<replicate::ChunkLocation> found) {
          deliver(std::move(found));
        });
      });
}

namespace {
// Adds one chunk's outcome to `summary`.
void record_report(ReplicationSummary& summary, const ChunkId& id, const Result<replicate::ReplicaReport>& report) {
  if (!report.ok()) {
    log::warn("could not replicate chunk " + id.short_hex() + ": " + report.error().message);
    summary.min_confirmed = 0;
    summary.unplaced.push_back(id);
    return;
  }
  if (report->holders.empty() && !(report->self_is_replica && report->wanted == 1)) summary.unplaced.push_back(id);
  summary.min_confirmed = std::min<std::uint32_t>(summary.min_confirmed, static_cast<std::uint32_t>(report->confirmed));
  if (!report->self_is_replica && report->confirmed >= report->wanted) summary.not_ours.push_back(id);
}

// Places a list of chunks with at most kReplicationsInFlight at a time;
// lives on the network thread.
struct ReplicationBatch : std::enable_shared_from_this<ReplicationBatch> {
  replicate::Replicator* replicator = nullptr;
  std::vector<ChunkId> ids;
  std::size_t next = 0;
  std::size_t finished = 0;
  ReplicationSummary summary;
  std::function<void(Result<ReplicationSummary>)> deliver;

  void launch() {
    while (next < ids.size() && next - finished < kReplicationsInFlight) {
      const ChunkId id = ids[next++];
      replicator->replicate(id, [self = shared_from_this(), id](Result<replicate::ReplicaReport> report) {
        self->record(id, report);
        if (++self->finished == self->ids.size()) return self->deliver(self->summary);
        self->launch();
      });
    }
  }

  void record(const ChunkId& id, const Result<replicate::ReplicaReport>& report) {
    record_report(summary, id, report);
  }
};

// A version's ReplicationStream (a put's, or a file's on the mount): each
// chunk added is posted to the network thread and placed there
// (Replicator::replicate_sealed) while the writer goes on; add() waits
// while the peer's window (kStreamWindowBytes, shared by all streams) is full.
// A stream dropped without finish() is not waited for: its chunks still
// go out, and nobody hears how.
class PeerReplicationStream final : public ReplicationStream {
 public:
  PeerReplicationStream(Peer::Impl& impl, std::uint32_t wanted, std::chrono::milliseconds patience)
      : impl_(impl), patience_(patience), window_(impl.stream_window), state_(std::make_shared<State>()) {
    state_->summary = ReplicationSummary{wanted, wanted, {}, {}};
  }

  void add(const ChunkId& id, std::shared_ptr<const Bytes> sealed) override;
  ReplicationSummary finish() override;

 private:
  // Shared with the callbacks on the network thread, which may outlive
  // the stream (a stalled network, or a stream nobody waits for).
  // Guarded by window_->mu.
  struct State {
    std::size_t in_flight = 0;
    bool stalled = false;  // a wait ran out of patience: the rest is left to repair
    ReplicationSummary summary;
  };
  // Waits until `ready` or the patience runs out (then marks the stream
  // stalled). Called with `lock` (on window_->mu) held.
  template <typename Pred>
  bool wait(std::unique_lock<std::mutex>& lock, Pred ready) {
    if (window_->cv.wait_for(lock, patience_, ready)) return true;
    if (!state_->stalled) log::warn("replication of a version stalled; repair will place the remaining chunks");
    state_->stalled = true;
    state_->summary.min_confirmed = 0;
    return false;
  }

  Peer::Impl& impl_;
  const std::chrono::milliseconds patience_;
  const std::shared_ptr<StreamWindow> window_;
  std::shared_ptr<State> state_;
};
}  // namespace

ReplicationSummary Peer::replicate(const std::vector<ChunkId>& ids) {
  Impl* raw = impl_.get();
  const auto wanted = static_cast<std::uint32_t>(raw->replicator->config().replicas);
  if (ids.empty()) return ReplicationSummary{wanted, wanted, {}, {}};
  const auto deadline = raw->options.rpc_timeout * 12 + std::chrono::seconds(2) * ids.size();
  auto result = raw->call_on_loop<ReplicationSummary>(
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline),
      [raw, ids, wanted](std::function<void(Result<ReplicationSummary>)> deliver) {
        auto batch = std::make_shared<ReplicationBatch>();
        batch->replicator = raw->replicator.get();
        batch->ids = ids;
        batch->summary = ReplicationSummary{wanted, wanted, {}, {}};
        batch->deliver = std::move(deliver);
        batch->launch();
      });
  if (!result.ok()) {
    log::warn("replication did not finish: " + result.error().message + "; repair will go on with it");
    return ReplicationSummary{wanted, 0, {}, ids};
  }
  return std::move(result).value();
}

void PeerReplicationStream::add(const ChunkId& id, std::shared_ptr<const Bytes> sealed) {
  {
    std::unique_lock lock(window_->mu);
    const std::uint64_t size = sealed->size();
    if (state_->stalled || !wait(lock, [this, size] { return window_->has_room_for(size); })) return;
    ++window_->in_flight;
    window_->bytes += size;
    ++state_->in_flight;
  }
  Peer::Impl* raw = &impl_;
  boost::asio::post(raw->io, [raw, window = window_, state = state_, id, sealed = std::move(sealed)]() mutable {
    const std::uint64_t size = sealed->size();
    raw->replicator->replicate_sealed(id, std::move(sealed),
                                      [window, state, id, size](Result<replicate::ReplicaReport> report) {
                                        std::lock_guard lock(window->mu);
                                        record_report(state->summary, id, report);
                                        --state->in_flight;
                                        --window->in_flight;
                                        window->bytes -= size;
                                        window->cv.notify_all();
                                      });
  });
}

ReplicationSummary PeerReplicationStream::finish() {
  std::unique_lock lock(window_->mu);
  if (!state_->stalled) wait(lock, [this] { return state_->in_flight == 0; });
  return state_->summary;
}

std::unique_ptr<ReplicationStream> Peer::start_replication() {
  Impl* raw = impl_.get();
  const auto wanted = static_cast<std::uint32_t>(raw->replicator->config().replicas);
  // A chunk's placement ends within a lookup and a transfer (each with its
  // own timeout); far beyond that, the network is stuck, not slow.
  return std::make_unique<PeerReplicationStream>(*raw, wanted, raw->options.rpc_timeout * 12);
}

replicate::NetworkStatus Peer::status() {
  Impl* raw = impl_.get();
  replicate::NetworkStatus status;
  status.node_id = raw->node_id_hex;
  status.listen_address = raw->listen_address;
  status.replicas = static_cast<std::uint32_t>(raw->replicator->config().replicas);
  const auto stats = raw->replicator->stats();
  status.health = raw->replicator->health();
  status.repair_copies = stats.copies_made;
  status.last_sweep_started = stats.last_sweep_started;
  struct OnLoop {
    std::size_t peers = 0;
    std::string reachable, lookups;
  };
  auto size = raw->call_on_loop<OnLoop>(std::chrono::seconds(5), [raw](auto deliver) {
    deliver(OnLoop{raw->dht->table().size(), raw->reach.describe(raw->dialable_address),
                   dht::describe_lookups(raw->dht->lookup_totals(), raw->dht->recent_lookups())});
  });
  status.peers = size.ok() ? static_cast<std::uint32_t>(size->peers) : 0;
  if (size.ok()) status.reachable = size->reachable;
  status.limits = raw->transport->describe_limits();
  if (size.ok()) status.limits.push_back(size->lookups);
  status.limits.push_back(raw->describe_storage_for_others());
  status.limits.push_back(
      "storage challenges: " + std::to_string(stats.challenges) + " sent, " + std::to_string(stats.challenges_failed) +
      " failed, " + std::to_string(stats.distrusted) + " peers distrusted; " +
      std::to_string(raw->chunk_server.stats().proofs_served) + " answered, at most " +
      std::to_string(raw->options.challenges_per_second) + "/s per peer and per address (" +
      std::to_string(raw->proofs_busy.load()) + " busy answers)");
  return status;
}

std::vector<PeerSummary> Peer::peers() {
  Impl* raw = impl_.get();
  // On the loop: the routing table is its to read.
  auto peers = raw->call_on_loop<std::vector<PeerSummary>>(std::chrono::seconds(5), [raw](auto deliver) {
    const dht::RoutingTable& table = raw->dht->table();
    const auto now = raw->scheduler->now();
    std::vector<PeerSummary> out;
    for (const auto& c : raw->dht->closest_known(raw->dht->self().id, table.size())) {
      PeerSummary p{c.id.hex(), c.address};
      for (const auto& more : c.more_addresses) p.address += "," + more;
      if (const dht::RoutingTable::Entry* e = table.find(c.id)) {
        p.last_seen_seconds = static_cast<std::uint64_t>(
            std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::seconds>(now - e->last_seen).count()));
        p.failures = e->failures;
      }
      out.push_back(std::move(p));
    }
    deliver(std::move(out));
  });
  return peers.ok() ? std::move(peers).value() : std::vector<PeerSummary>{};
}

Status Peer::set_lease_key(crypto::SigningKey key) {
  Impl* raw = impl_.get();
  auto set = raw->call_on_loop<bool>(std::chrono::seconds(5), [raw, key = std::move(key)](auto deliver) mutable {
    raw->chunk_client->set_lease_key(std::move(key));
    deliver(true);
  });
  if (!set.ok()) return set.take_error();
  return {};
}

Status Peer::publish(dht::Record record) {
  Impl* raw = impl_.get();
  // A lookup and a round of STOREs; each RPC has its own timeout.
  const auto deadline = std::chrono::duration_cast<std::chrono::milliseconds>(raw->options.rpc_timeout * 8);
  auto stored = raw->call_on_loop<std::size_t>(deadline, [raw, record = std::move(record)](auto deliver) mutable {
    raw->dht->put_record(std::move(record), std::move(deliver));
  });
  if (!stored.ok()) return stored.take_error();
  return {};
}

Result<std::vector<dht::Record>> Peer::find(const dht::NodeId& key) {
  Impl* raw = impl_.get();
  const auto deadline = std::chrono::duration_cast<std::chrono::milliseconds>(raw->options.rpc_timeout * 8);
  return raw->call_on_loop<std::vector<dht::Record>>(
      deadline, [raw, key](auto deliver) { raw->dht->get_records(key, std::move(deliver)); });
}

Result<Bytes> read_network_key(const std::string& path) {
  DFS_ASSIGN_OR_RETURN(UniqueFd fd, open_file(path, O_RDONLY));
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0) return errno_error("cannot stat network key file " + path);
  // Whoever reads the key is in the network: refuse a key others could read.
  if ((st.st_mode & 077) != 0) {
    return make_error(Errc::permission_denied, "network key file " + path +
                                                   " is readable by group or others; fix it with: chmod 600 " + path);
  }
  Bytes key(4096);
  DFS_ASSIGN_OR_RETURN(std::size_t n, read_full(fd.get(), key, path));
  if (n == key.size()) return make_error(Errc::too_large, "network key file " + path + " is larger than 4 KiB");
  // A node proves the key to any peer that completes a TLS handshake, so a
  // short key could be guessed offline from that proof.
  if (n < kMinNetworkKeySize) {
    return make_error(Errc::invalid_argument, "network key file " + path + " holds " + std::to_string(n) +
                                                  " bytes; a network key needs at least " +
                                                  std::to_string(kMinNetworkKeySize) +
                                                  " bytes of random key material: make one with 'dfs keygen " + path +
                                                  "'");
  }
  key.resize(n);
  return key;
}

Status write_network_key(const std::string& path) {
  std::array<std::uint8_t, kMinNetworkKeySize> secret{};
  crypto::random_bytes(secret);
  // Hex, one line: the file can be copied and pasted; 32 random bytes.
  const std::string text = to_hex(secret) + "\n";
  DFS_ASSIGN_OR_RETURN(UniqueFd fd, open_file(path, O_WRONLY | O_CREAT | O_EXCL, 0600));
  if (::fchmod(fd.get(), 0600) != 0) return errno_error("cannot chmod " + path);  // whatever the umask
  DFS_TRY(write_full(fd.get(), ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()), path));
  return fsync_fd(fd.get(), path);
}

}  // namespace dfs::p2p
