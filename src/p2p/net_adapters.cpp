#include "dfs/p2p/net_adapters.hpp"

#include <boost/asio/post.hpp>

#include <cstring>

#include "dfs/p2p/chunk_wire.hpp"
#include "dfs/p2p/dht_wire.hpp"
#include "dfs/util/clock.hpp"

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

void NetChunkClient::call(const dht::Contact& to, wire::Envelope request, SharedBytes payload,
                          std::function<void(Result<net::Message>)> done) {
  dialer_->request(to, std::move(request), std::move(payload), timeout_,
                   [done = std::move(done)](Result<net::Message> answer) {
                     if (!answer.ok() && answer.error().code == Errc::permission_denied) {
                       Error e = answer.take_error();
                       e.code = Errc::unavailable;
                       return done(std::move(e));
                     }
                     done(std::move(answer));
                   });
}

void NetChunkClient::put_chunk(const dht::Contact& to, const ChunkId& id, SharedBytes sealed,
                               const replicate::PlacerKey& lease_key, std::function<void(Status)> done) {
  wire::Envelope request;
  request.mutable_put_chunk()->set_chunk_id(id_string(id));
  replicate::PlacerKey key = lease_key;
  if (!key && lease_key_) key = lease_key_->public_key();
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
