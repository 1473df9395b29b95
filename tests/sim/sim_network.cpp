#include "sim/sim_network.hpp"

#include <cassert>

namespace dfs::sim {

using dht::Contact;
using dht::Reply;
using dht::Request;
using dht::Response;

class SimNetwork::NodeTransport final : public dht::Transport {
 public:
  NodeTransport(SimNetwork& network, std::size_t index) : network_(network), index_(index) {}
  void send(const Contact& to, Request request, std::function<void(Result<Reply>)> on_done) override {
    network_.send(index_, to, std::move(request), std::move(on_done));
  }

 private:
  SimNetwork& network_;
  std::size_t index_;
};

// One RPC: completed once, by its reply or by its timeout. The network
// knows each message's fate when it sends it, so it schedules a timeout
// only for calls that will not be answered in time: most RPCs cost no
// timer event, which keeps the event queue small.
struct SimNetwork::Call {
  std::function<void(Result<Reply>)> on_done;
  TimePoint deadline;
  bool done = false;
  bool timeout_scheduled = false;

  void complete(Result<Reply> result) {
    if (done) return;
    done = true;
    auto fn = std::move(on_done);
    fn(std::move(result));
  }
};

SimNetwork::SimNetwork(EventLoop& loop, NetworkConfig config) : loop_(loop), config_(config), rng_(config.seed) {}

SimNetwork::~SimNetwork() = default;

dht::Transport& SimNetwork::attach(const Contact& self, Handler handler) {
  assert(!by_address_.contains(self.address) && "addresses are unique");
  const std::size_t index = nodes_.size();
  nodes_.push_back(Node{self, std::move(handler), true, std::make_unique<NodeTransport>(*this, index)});
  by_address_.emplace(self.address, index);
  return *nodes_.back().transport;
}

void SimNetwork::set_handler(const std::string& address, Handler handler) {
  nodes_.at(by_address_.at(address)).handler = std::move(handler);
}

void SimNetwork::kill(const std::string& address) { nodes_.at(by_address_.at(address)).alive = false; }
void SimNetwork::revive(const std::string& address) { nodes_.at(by_address_.at(address)).alive = true; }
bool SimNetwork::alive(const std::string& address) const { return nodes_.at(by_address_.at(address)).alive; }

void SimNetwork::partition(const std::vector<std::string>& side) {
  heal();
  for (const auto& address : side) nodes_.at(by_address_.at(address)).cut_off = true;
}

void SimNetwork::heal() {
  for (Node& node : nodes_) node.cut_off = false;
}

bool SimNetwork::across(std::size_t a, std::size_t b) {
  const bool cut = nodes_[a].cut_off != nodes_[b].cut_off;
  if (cut) ++stats_.cut;
  return cut;
}

milliseconds SimNetwork::latency() {
  std::uniform_int_distribution<std::int64_t> pick(config_.min_latency.count(), config_.max_latency.count());
  return milliseconds(pick(rng_));
}

bool SimNetwork::lose() {
  if (config_.loss <= 0.0) return false;
  const bool lost = std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < config_.loss;
  if (lost) ++stats_.lost;
  return lost;
}

void SimNetwork::fail_later(const std::shared_ptr<Call>& call, Errc code, std::string message) {
  loop_.schedule(latency(), [call, code, message = std::move(message)] { call->complete(make_error(code, message)); });
}

void SimNetwork::time_out(const std::shared_ptr<Call>& call) {
  if (call->timeout_scheduled) return;
  call->timeout_scheduled = true;
  const auto wait = std::chrono::duration_cast<milliseconds>(call->deadline - loop_.now());
  loop_.schedule(wait, [call] { call->complete(make_error(Errc::timed_out, "simulated RPC timed out")); });
}

void SimNetwork::send(std::size_t from, const Contact& to, Request request,
                      std::function<void(Result<Reply>)> on_done) {
  ++stats_.requests;
  auto call = std::make_shared<Call>(Call{std::move(on_done), loop_.now() + config_.timeout});
  auto dest = by_address_.find(to.address);
  if (!nodes_[from].alive) return fail_later(call, Errc::unavailable, "sender is down");
  if (dest == by_address_.end()) return fail_later(call, Errc::unavailable, "no node at " + to.address);
  // What the TLS handshake would check: the peer proves the ID we expect.
  if (to.has_id() && nodes_[dest->second].contact.id != to.id) {
    return fail_later(call, Errc::unavailable, to.address + " has another node ID");
  }
  if (across(from, dest->second) || lose()) return time_out(call);
  const milliseconds delay = latency();
  if (loop_.now() + delay >= call->deadline) time_out(call);  // served, but too late
  const std::size_t to_index = dest->second;
  loop_.schedule(delay, [this, from, to_index, request = std::move(request), call] {
    deliver(from, to_index, request, call);
  });
}

void SimNetwork::deliver(std::size_t from, std::size_t to, const Request& request, const std::shared_ptr<Call>& call) {
  Node& dest = nodes_[to];
  // A request that outlived its timeout is still served, as a real peer
  // would: only the asker has stopped listening.
  if (!dest.alive || !dest.handler) {
    ++stats_.to_dead;
    return time_out(call);
  }
  Response response = dest.handler(nodes_[from].contact, request);
  const milliseconds delay = latency();
  if (across(to, from) || lose() || loop_.now() + delay >= call->deadline) return time_out(call);
  loop_.schedule(delay, [this, from, to, call, response = std::move(response)]() mutable {
    if (!nodes_[from].alive) return time_out(call);  // the asker died meanwhile
    ++stats_.replies;
    call->complete(Reply{nodes_[to].contact, std::move(response)});
  });
}

}  // namespace dfs::sim
