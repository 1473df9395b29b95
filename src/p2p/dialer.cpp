#include "dfs/p2p/dialer.hpp"

#include <algorithm>

namespace dfs::p2p {

using Clock = std::chrono::steady_clock;

// One request on its way through a contact's addresses.
struct Dialer::Attempt {
  dht::Contact to;
  std::vector<std::string> addresses;  // in the order tried
  std::size_t next = 0;                // index of the next address to try
  wire::Envelope request;
  SharedBytes payload;
  bool dialed = false;
  Clock::time_point deadline;
  net::ResponseCallback done;
};

void Dialer::request(const dht::Contact& to, wire::Envelope request, SharedBytes payload,
                     std::chrono::milliseconds timeout, net::ResponseCallback done) {
  start(to, std::make_shared<Attempt>(Attempt{to, {}, 0, std::move(request), std::move(payload), false,
                                              Clock::now() + timeout, std::move(done)}));
}

void Dialer::request_dialed(const dht::Contact& to, wire::Envelope request, std::chrono::milliseconds timeout,
                            net::ResponseCallback done) {
  start(to, std::make_shared<Attempt>(
                Attempt{to, {}, 0, std::move(request), {}, true, Clock::now() + timeout, std::move(done)}));
}

void Dialer::start(const dht::Contact& to, std::shared_ptr<Attempt> attempt) {
  auto& addresses = attempt->addresses;
  addresses = to.addresses();
  // A contact built here from options is bounded by them, one from a peer
  // by the wire decoder; this keeps the cost bounded whatever the source.
  if (addresses.size() > dht::kMaxAddressesPerContact) addresses.resize(dht::kMaxAddressesPerContact);
  if (auto known = preferred(to.id)) {
    auto it = std::find(addresses.begin(), addresses.end(), *known);
    if (it != addresses.end()) std::rotate(addresses.begin(), it, it + 1);
  }
  try_next(attempt);
}

void Dialer::try_next(const std::shared_ptr<Attempt>& attempt) {
  const std::string address = attempt->addresses[attempt->next++];
  const bool last = attempt->next == attempt->addresses.size();
  const auto left = std::max(std::chrono::duration_cast<std::chrono::milliseconds>(attempt->deadline - Clock::now()),
                             std::chrono::milliseconds(1));
  auto on_answer = [weak = weak_from_this(), attempt, address](Result<net::Message> answer) {
    auto self = weak.lock();
    if (answer.ok()) {
      if (self) self->remember(attempt->to, address);
      return attempt->done(std::move(answer));
    }
    const Errc code = answer.error().code;
    const bool unreachable = code == Errc::unavailable || code == Errc::permission_denied;
    if (!self || !unreachable || attempt->next == attempt->addresses.size() || Clock::now() >= attempt->deadline) {
      return attempt->done(std::move(answer));
    }
    self->try_next(attempt);
  };
  // The last try may have the request; earlier ones send a copy.
  wire::Envelope request = last ? std::move(attempt->request) : attempt->request;
  if (attempt->dialed) {
    net_.request_dialed(address, attempt->to.id.bytes, std::move(request), left, std::move(on_answer));
    return;
  }
  std::optional<net::NodeIdBytes> expected;
  if (attempt->to.has_id()) expected = attempt->to.id.bytes;
  net_.request(address, expected, std::move(request), attempt->payload, left, std::move(on_answer));
}

std::optional<std::string> Dialer::preferred(const dht::NodeId& id) const {
  auto it = preferred_.find(id);
  if (it == preferred_.end()) return std::nullopt;
  return it->second;
}

void Dialer::remember(const dht::Contact& to, const std::string& address) {
  if (!to.has_id()) return;
  if (address == to.address) {
    preferred_.erase(to.id);
    return;
  }
  if (preferred_.size() >= kMaxRemembered && !preferred_.contains(to.id)) preferred_.clear();
  preferred_[to.id] = address;
}

}  // namespace dfs::p2p
