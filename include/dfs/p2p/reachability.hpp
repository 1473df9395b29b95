// Reachability: whether other peers can dial this one at the address it
// advertises, as their dial-backs tell.
//
// Every peer that hears from a stranger pings it back over a connection it
// dials itself before routing to it (dht.cpp, verify_contact). So a peer
// that joined (it talked to others) and, `wait` later, has still seen no
// connection dialed to it is not reachable: behind NAT or a firewall, or
// advertising an address that is not its own. Others then never hand it
// out nor place chunks on it; it reads and writes through them, and must
// not count its own copies as replicas either (Dht::set_self_address):
// from then on repair copies what it put to R peers others can reach.
// Until it knows (unknown), it counts them, as a seed does: a joiner's
// repair must not push extra copies in the moment before its first
// dial-back. One connection dialed in (now or later) makes it reachable.
//
// A peer that never joined (a seed) stays `unknown` until dialed.
//
// Not thread-safe: one owner (the network thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace dfs::p2p {

class Reachability {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  enum class State { unknown, reachable, unreachable };

  explicit Reachability(std::chrono::milliseconds wait) : wait_(wait) {}

  // The join through the bootstrap peers completed at `now` (the first
  // one counts: dial-backs start with the first request).
  void joined(TimePoint now);
  // `dialed_in`: connections other peers dialed to us so far, at `now`.
  // Returns the new state.
  State update(std::uint64_t dialed_in, TimePoint now);
  State state() const { return state_; }

  // For dfs status: "yes", "no (...)" or "not known yet (...)".
  std::string describe(const std::string& address) const;

 private:
  const std::chrono::milliseconds wait_;
  std::optional<TimePoint> joined_;
  State state_ = State::unknown;
};

}  // namespace dfs::p2p
