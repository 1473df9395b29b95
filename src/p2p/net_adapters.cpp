#include "dfs/p2p/net_adapters.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <cstring>

#include "dfs/p2p/chunk_wire.hpp"
#include "dfs/p2p/dht_wire.hpp"
#include "dfs/replicate/config.hpp"
#include "dfs/util/clock.hpp"
#include "dfs/util/log.hpp"

namespace dfs::p2p {

AsioScheduler::~AsioScheduler() {
  for (auto& [id, timer] : timers_) timer->cancel();
}

std::uint64_t AsioScheduler::schedule(std::chrono::milliseconds delay, std::function<void()> fn) {
  const std::uint64_t id = next_id_++;
  auto timer = std::make_shared<boost::asio::steady_timer>(io_, delay);
  timers_[id] = timer;
  timer->async_wait([this, id, timer, fn = std::move(fn)](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled: the scheduler (or the timer's owner) said so
    timers_.erase(id);
    fn();
  });
  return id;
}

void AsioScheduler::cancel(std::uint64_t timer) {
  auto it = timers_.find(timer);
  if (it == timers_.end()) return;
  it->second->cancel();
  timers_.erase(it);
}

namespace {

// The DHT only distinguishes "no answer" from "cannot reach".
Error as_dht_error(Error e) {
  if (e.code != Errc::timed_out) e.code = Errc::unavailable;
  return e;
}

std::string id_string(const ChunkId& id) { return std::string(id.bytes.begin(), id.bytes.end()); }

}  // namespace

void NetDhtTransport::send(const dht::Contact& to, dht::Request request,
                           std::function<void(Result<dht::Reply>)> on_done) {
  auto done = [to, on_done = std::move(on_done)](Result<net::Message> answer) {
    if (!answer.ok()) return on_done(as_dht_error(answer.take_error()));
    auto body = dht_response_from_wire(answer->env);
    if (!body.ok()) return on_done(as_dht_error(body.take_error()));
    dht::Reply reply;
    reply.from.id.bytes = answer->from.id;
    // Where we reached it, never an address it names: the routing table
    // takes this contact, and a peer could name anyone's address.
    reply.from.address = to.address;
    reply.from.more_addresses = to.more_addresses;
    reply.body = std::move(body).value();
    on_done(std::move(reply));
  };
  // A ping checks a contact before it enters the routing table (or stays in
  // it): over a connection we dialed to its address, so that an answer
  // proves it listens there (at one of its addresses).
  if (std::holds_alternative<dht::PingRequest>(request) && to.has_id()) {
    dialer_->request_dialed(to, dht_request_to_wire(request), timeout_, std::move(done));
    return;
  }
  dialer_->request(to, dht_request_to_wire(request), {}, timeout_, std::move(done));
}

namespace {
// A peer that proves another ID than expected, or refuses a chunk as not
// among its closest, is as good as unreachable for the chunk RPCs (the
// ChunkClient contract): the placer tries the next peer.
Error as_chunk_rpc_error(Error e) {
  if (e.code == Errc::permission_denied) e.code = Errc::unavailable;
  return e;
}
}  // namespace

NetChunkClient::NetChunkClient(std::shared_ptr<Dialer> dialer, boost::asio::io_context& io,
                               std::chrono::milliseconds timeout, std::optional<crypto::SigningKey> lease_key,
                               dht::NodeId self)
    : dialer_(std::move(dialer)), io_(io), timeout_(timeout), lease_key_(std::move(lease_key)), self_(self) {}

void NetChunkClient::call(const dht::Contact& to, wire::Envelope request, SharedBytes payload,
                          std::function<void(Result<net::Message>)> done) {
  dialer_->request(to, std::move(request), std::move(payload), timeout_,
                   [done = std::move(done)](Result<net::Message> answer) {
                     if (!answer.ok()) return done(as_chunk_rpc_error(answer.take_error()));
                     done(std::move(answer));
                   });
}

void NetChunkClient::put_chunk(const dht::Contact& to, const ChunkId& id, SharedBytes sealed,
                               const replicate::PlacerKey& lease_key, std::function<void(Status)> done) {
  replicate::PlacerKey key = lease_key;
  if (!key && lease_key_) key = lease_key_->public_key();
  if (!to.has_id() || sealed.empty() || sealed.size() > replicate::kMaxBatchedChunkSize ||
      single_puts_only_.contains(to.id)) {
    return put_single(to, id, std::move(sealed), key, std::move(done));
  }
  std::vector<Batch>& open = batches_->open;
  auto it = std::find_if(open.begin(), open.end(), [&](const Batch& b) { return b.to.id == to.id && b.key == key; });
  if (it != open.end() &&
      (it->puts.size() == replicate::kMaxPutBatchChunks || it->bytes + sealed.size() > replicate::kMaxPutBatchBytes)) {
    Batch full = std::move(*it);
    open.erase(it);
    send_batch(std::move(full));
    it = open.end();
  }
  if (it == open.end()) it = open.insert(open.end(), Batch{to, key, {}, 0});
  it->bytes += sealed.size();
  it->puts.push_back(SmallPut{id, std::move(sealed), std::move(done)});
  if (batches_->flush_posted) return;
  batches_->flush_posted = true;
  // After what the network thread has queued already: the PUTs it makes
  // meanwhile (the answers to a batch free the slots of many) join.
  boost::asio::post(io_, [this, alive = std::weak_ptr<Batches>(batches_)] {
    if (alive.lock()) flush();
  });
}

void NetChunkClient::flush(const dht::NodeId* only) {
  if (only == nullptr) batches_->flush_posted = false;
  std::vector<Batch> ready;
  std::erase_if(batches_->open, [&](Batch& batch) {
    if (only != nullptr && batch.to.id != *only) return false;
    auto it = batches_->in_flight.find(batch.to.id);
    if (it != batches_->in_flight.end() && it->second >= kBatchesInFlight) return false;  // goes when one is answered
    ready.push_back(std::move(batch));
    return true;
  });
  for (Batch& batch : ready) send_batch(std::move(batch));
}

void NetChunkClient::send_batch(Batch batch) {
  ++batches_->in_flight[batch.to.id];
  // Once answered: the batch filled meanwhile for that peer may go.
  auto answered = [this, alive = std::weak_ptr<Batches>(batches_), to = batch.to.id] {
    if (!alive.lock()) return;
    auto it = batches_->in_flight.find(to);
    if (it != batches_->in_flight.end() && --it->second == 0) batches_->in_flight.erase(it);
    flush(&to);
  };
  if (batch.puts.size() == 1) {
    SmallPut& put = batch.puts.front();
    return put_single(batch.to, put.id, std::move(put.sealed), batch.key,
                      [done = std::move(put.done), answered](Status status) {
                        done(std::move(status));
                        answered();
                      });
  }
  std::vector<std::pair<ChunkId, std::size_t>> entries;
  entries.reserve(batch.puts.size());
  Bytes payload;
  payload.reserve(batch.bytes);
  for (const SmallPut& put : batch.puts) {
    entries.emplace_back(put.id, put.sealed.size());
    payload.insert(payload.end(), put.sealed.view().begin(), put.sealed.view().end());
  }
  ++batches_->stats.batches;
  batches_->stats.chunks += batch.puts.size();
  auto puts = std::make_shared<std::vector<SmallPut>>(std::move(batch.puts));
  call(batch.to, put_batch_to_wire(entries, batch.key), SharedBytes(std::move(payload)),
       [this, alive = std::weak_ptr<Batches>(batches_), to = batch.to, key = batch.key, puts,
        answered](Result<net::Message> answer) {
         if (!answer.ok() && answer.error().code == Errc::invalid_argument && alive.lock()) {
           // A peer older than PUT_CHUNKS: single PUTs, to it from now on.
           log::info("peer " + to.id.short_hex() + " does not take batched PUTs; sending it single ones");
           if (single_puts_only_.size() >= Dialer::kMaxRemembered) single_puts_only_.clear();
           single_puts_only_.insert(to.id);
           for (SmallPut& put : *puts) put_single(to, put.id, std::move(put.sealed), key, std::move(put.done));
           // What filled meanwhile goes the same way.
           std::erase_if(batches_->open, [&](Batch& b) {
             if (b.to.id != to.id) return false;
             for (SmallPut& put : b.puts) put_single(b.to, put.id, std::move(put.sealed), b.key, std::move(put.done));
             return true;
           });
           return answered();
         }
         Result<std::vector<Status>> outcomes =
             answer.ok() ? put_batch_result_from_wire(answer->env, puts->size())
                         : Result<std::vector<Status>>(answer.take_error());
         for (std::size_t i = 0; i < puts->size(); ++i) {
           Status outcome = outcomes.ok() ? std::move((*outcomes)[i]) : Status(outcomes.error());
           if (!outcome.ok()) outcome = as_chunk_rpc_error(outcome.take_error());
           (*puts)[i].done(std::move(outcome));
         }
         answered();
       });
}

void NetChunkClient::put_single(const dht::Contact& to, const ChunkId& id, SharedBytes sealed,
                                const replicate::PlacerKey& key, std::function<void(Status)> done) {
  wire::Envelope request;
  request.mutable_put_chunk()->set_chunk_id(id_string(id));
  if (key) request.mutable_put_chunk()->set_placer_key(std::string(key->begin(), key->end()));
  call(to, std::move(request), std::move(sealed), [done = std::move(done)](Result<net::Message> answer) {
    if (!answer.ok()) return done(answer.take_error());
    if (!answer->env.has_put_chunk_result()) return done(make_error(Errc::corrupt, "PUT_CHUNK answered with another body"));
    done(Status{});
  });
}

void NetChunkClient::get_chunk(const dht::Contact& to, const ChunkId& id, std::function<void(Result<Bytes>)> done) {
  wire::Envelope request;
  request.mutable_get_chunk()->set_chunk_id(id_string(id));
  call(to, std::move(request), {}, [done = std::move(done)](Result<net::Message> answer) {
    if (!answer.ok()) return done(answer.take_error());
    if (!answer->env.has_get_chunk_result()) return done(make_error(Errc::corrupt, "GET_CHUNK answered with another body"));
    done(std::move(answer->payload));
  });
}

void NetChunkClient::has_chunks(const dht::Contact& to, std::vector<ChunkId> ids,
                                std::function<void(Result<std::vector<bool>>)> done) {
  wire::Envelope request;
  for (const ChunkId& id : ids) request.mutable_has_chunks()->add_chunk_ids(id_string(id));
  // Signed for this peer only: a holder cannot pass it on to another.
  if (lease_key_ && to.has_id()) {
    renewal_to_wire(replicate::sign_renewal(*lease_key_, to.id, self_, unix_seconds(), ids),
                    *request.mutable_has_chunks());
  }
  const std::size_t count = ids.size();
  call(to, std::move(request), {}, [count, done = std::move(done)](Result<net::Message> answer) {
    if (!answer.ok()) return done(answer.take_error());
    if (!answer->env.has_has_chunks_result()) return done(make_error(Errc::corrupt, "HAS_CHUNKS answered with another body"));
    done(presence_from_bitmap(answer->env.has_chunks_result().present_bitmap(), count));
  });
}

void NetChunkClient::prove_chunk(const dht::Contact& to, const ChunkId& id, const replicate::ProofNonce& nonce,
                                 std::function<void(Result<crypto::Digest>)> done) {
  call(to, prove_request_to_wire(ProveRequest{id, nonce}), {}, [done = std::move(done)](Result<net::Message> answer) {
    if (!answer.ok()) return done(answer.take_error());
    done(proof_from_wire(answer->env));
  });
}

std::string presence_to_bitmap(const std::vector<bool>& present) {
  std::string bitmap((present.size() + 7) / 8, '\0');
  for (std::size_t i = 0; i < present.size(); ++i) {
    if (present[i]) bitmap[i / 8] = static_cast<char>(bitmap[i / 8] | (1 << (i % 8)));
  }
  return bitmap;
}

Result<std::vector<bool>> presence_from_bitmap(const std::string& bitmap, std::size_t count) {
  if (bitmap.size() != (count + 7) / 8) {
    return make_error(Errc::corrupt, "HAS_CHUNKS bitmap of " + std::to_string(bitmap.size()) + " bytes for " +
                                         std::to_string(count) + " chunks");
  }
  std::vector<bool> present(count);
  for (std::size_t i = 0; i < count; ++i) present[i] = (static_cast<unsigned char>(bitmap[i / 8]) >> (i % 8)) & 1;
  return present;
}

}  // namespace dfs::p2p
