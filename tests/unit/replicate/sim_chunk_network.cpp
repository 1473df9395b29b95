#include "sim_chunk_network.hpp"

#include <algorithm>
#include <cassert>

namespace dfs::sim {

using dht::Contact;

class SimChunkNetwork::Client final : public replicate::ChunkClient {
 public:
  Client(SimChunkNetwork& network, std::string self) : network_(network), self_(std::move(self)) {}
  void put_chunk(const Contact& to, const ChunkId& id, SharedBytes sealed, const replicate::PlacerKey& lease_key,
                 std::function<void(Status)> done) override {
    network_.put(self_, to, id, std::move(sealed), lease_key, std::move(done));
  }
  void get_chunk(const Contact& to, const ChunkId& id, std::function<void(Result<Bytes>)> done) override {
    network_.get(self_, to, id, std::move(done));
  }
  void has_chunks(const Contact& to, std::vector<ChunkId> ids,
                  std::function<void(Result<std::vector<bool>>)> done) override {
    network_.has(self_, to, std::move(ids), std::move(done));
  }
  void prove_chunk(const Contact& to, const ChunkId& id, const replicate::ProofNonce& nonce,
                   std::function<void(Result<crypto::Digest>)> done) override {
    network_.prove(self_, to, id, nonce, std::move(done));
  }

 private:
  SimChunkNetwork& network_;
  std::string self_;
};

SimChunkNetwork::SimChunkNetwork(EventLoop& loop, const SimNetwork& liveness, ChunkNetworkConfig config)
    : loop_(loop), liveness_(liveness), config_(config), rng_(config.seed) {}

SimChunkNetwork::~SimChunkNetwork() = default;

replicate::ChunkClient& SimChunkNetwork::attach(const Contact& self, replicate::ChunkServer& server) {
  assert(!nodes_.contains(self.address) && "addresses are unique");
  nodes_.emplace(self.address, Node{self, &server});
  clients_.push_back(std::make_unique<Client>(*this, self.address));
  return *clients_.back();
}

void SimChunkNetwork::set_tampering(const std::string& address, bool on) {
  if (on) tampering_.insert(address); else tampering_.erase(address);
}

void SimChunkNetwork::answer_busy(const std::string& address, std::size_t count) { busy_puts_[address] = count; }

void SimChunkNetwork::set_refusing_puts(const std::string& address, bool on) {
  if (on) refusing_puts_.insert(address); else refusing_puts_.erase(address);
}

void SimChunkNetwork::set_lease_key(const std::string& address, const replicate::PlacerKey& key) {
  lease_keys_[address] = key;
}

void SimChunkNetwork::set_lying(const std::string& address, bool on) {
  if (on) lying_.insert(address); else lying_.erase(address);
}

void SimChunkNetwork::drop_challenges(const std::string& address, std::size_t count) {
  challenges_to_drop_[address] = count;
}

void SimChunkNetwork::reset_stats() {
  stats_ = {};
  sent_by_.clear();
  received_by_.clear();
}

milliseconds SimChunkNetwork::latency() {
  std::uniform_int_distribution<std::int64_t> pick(config_.min_latency.count(), config_.max_latency.count());
  return milliseconds(pick(rng_));
}

template <typename T>
void SimChunkNetwork::call(const std::string& from, const Contact& to, std::function<T(replicate::ChunkServer&)> serve,
                           std::function<void(T)> done) {
  // Completed once: by the answer, or by the timeout, whichever is first.
  struct Call {
    std::function<void(T)> done;
    std::uint64_t timer = 0;
  };
  auto state = std::make_shared<Call>(Call{std::move(done)});
  auto complete = [this, state](T result) {
    if (!state->done) return;
    loop_.cancel(state->timer);
    auto fn = std::exchange(state->done, nullptr);
    fn(std::move(result));
  };
  state->timer = loop_.schedule(config_.timeout, [complete] { complete(T(make_error(Errc::timed_out, "sim chunk RPC timed out"))); });
  auto dest = nodes_.find(to.address);
  if (dest == nodes_.end() || (to.has_id() && dest->second.contact.id != to.id)) {
    loop_.schedule(latency(), [complete, address = to.address] {
      complete(T(make_error(Errc::unavailable, "no chunk service at " + address)));
    });
    return;
  }
  replicate::ChunkServer* server = dest->second.server;
  loop_.schedule(latency(), [this, from, address = to.address, server, serve = std::move(serve), complete] {
    if (!liveness_.alive(address)) {
      ++stats_.to_dead;
      return;  // the asker times out
    }
    T answer = serve(*server);
    loop_.schedule(latency(), [this, from, complete, answer = std::move(answer)]() mutable {
      if (liveness_.alive(from)) complete(std::move(answer));  // a dead asker hears nothing
    });
  });
}

void SimChunkNetwork::put(const std::string& from, const Contact& to, const ChunkId& id, SharedBytes sealed,
                          const replicate::PlacerKey& lease_key, std::function<void(Status)> done) {
  replicate::PlacerKey key = lease_key;
  if (!key) {
    auto own = lease_keys_.find(from);
    if (own != lease_keys_.end()) key = own->second;
  }
  ++stats_.puts;
  ++sent_by_[from].puts;
  const bool refuse = refusing_puts_.contains(to.address);
  const bool lie = lying_.contains(to.address);
  auto busy_left = busy_puts_.find(to.address);
  const bool busy = busy_left != busy_puts_.end() && busy_left->second > 0;
  if (busy) --busy_left->second;
  call<Status>(from, to, [id, sealed = std::move(sealed), refuse, lie, busy, key](replicate::ChunkServer& server) -> Status {
    if (busy) return make_error(Errc::busy, "simulated busy: puts faster than its rate limit");
    if (refuse) return make_error(Errc::no_space, "simulated full disk");
    if (lie) return {};
    return server.on_put(id, sealed.view(), {}, key);
  }, std::move(done));
}

void SimChunkNetwork::get(const std::string& from, const Contact& to, const ChunkId& id,
                          std::function<void(Result<Bytes>)> done) {
  ++stats_.gets;
  ++sent_by_[from].gets;
  ++received_by_[to.address].gets;
  const bool tamper = tampering_.contains(to.address);
  call<Result<Bytes>>(from, to, [id, tamper](replicate::ChunkServer& server) {
    Result<Bytes> bytes = server.on_get(id);
    if (tamper && bytes.ok() && !bytes->empty()) (*bytes)[0] ^= 0x01;
    return bytes;
  }, std::move(done));
}

void SimChunkNetwork::has(const std::string& from, const Contact& to, std::vector<ChunkId> ids,
                          std::function<void(Result<std::vector<bool>>)> done) {
  for (ChunkNetworkStats* s : {&stats_, &sent_by_[from]}) {
    ++s->has_requests;
    s->has_ids += ids.size();
    s->max_has_batch = std::max<std::uint64_t>(s->max_has_batch, ids.size());
  }
  const bool lie = lying_.contains(to.address);
  call<Result<std::vector<bool>>>(from, to, [ids = std::move(ids), lie](replicate::ChunkServer& server) {
    if (lie) return Result<std::vector<bool>>(std::vector<bool>(ids.size(), true));
    return server.on_has(ids);
  }, std::move(done));
}

void SimChunkNetwork::prove(const std::string& from, const Contact& to, const ChunkId& id,
                            const replicate::ProofNonce& nonce, std::function<void(Result<crypto::Digest>)> done) {
  ++stats_.proves;
  ++sent_by_[from].proves;
  const bool lie = lying_.contains(to.address);
  if (std::size_t& drop = challenges_to_drop_[to.address]; drop > 0) {
    --drop;
    auto timeout = [done = std::move(done)] { done(make_error(Errc::timed_out, "sim PROVE_CHUNK timed out")); };
    return void(loop_.schedule(config_.timeout, std::move(timeout)));
  }
  call<Result<crypto::Digest>>(from, to, [id, nonce, lie](replicate::ChunkServer& server) {
    if (lie) return Result<crypto::Digest>(crypto::sha256(nonce));  // a proof of nothing
    return server.on_prove(id, nonce);
  }, std::move(done));
}

}  // namespace dfs::sim
