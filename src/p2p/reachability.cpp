#include "dfs/p2p/reachability.hpp"

namespace dfs::p2p {

void Reachability::joined(TimePoint now) {
  if (!joined_) joined_ = now;
}

Reachability::State Reachability::update(std::uint64_t dialed_in, TimePoint now) {
  if (dialed_in > 0) {
    state_ = State::reachable;
  } else if (joined_ && now - *joined_ >= wait_) {
    state_ = State::unreachable;
  }
  return state_;
}

std::string Reachability::describe(const std::string& address) const {
  switch (state_) {
    case State::reachable: return "yes (other peers dialed " + address + ")";
    case State::unreachable:
      return "no: no peer dialed back " + (address.empty() ? std::string("this peer") : address) +
             " since it joined (behind NAT or a firewall?); it reads and writes through the others, "
             "which never hand it out nor place chunks on it";
    case State::unknown: break;
  }
  return "not known yet (no peer has dialed " + address + ")";
}

}  // namespace dfs::p2p
