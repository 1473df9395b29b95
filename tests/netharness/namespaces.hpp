// The network namespaces of one harness run, each holding one TUN device
// (tun0) with that peer's addresses (addresses.hpp). The harness process
// keeps the TUN file descriptors; whatever it reads from one is a packet a
// peer sent, whatever it writes to one is delivered to that peer.
//
// Names carry the owner: namespace i of the harness process PID is
// "dfsnh-PID-i" (and "dfsnh-PID-i-lan" for a peer put behind NAT). Destroying a Namespaces kills the processes still inside
// its namespaces and deletes them; sweep_stale() does the same for runs
// whose harness was killed before it could (its PID no longer runs).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "dfs/util/result.hpp"

namespace dfs::netharness {

// "dfsnh-<this process's PID>", the prefix of every name this run makes.
std::string run_prefix();

class Namespaces {
 public:
  // Creates `count` namespaces PREFIX-0 .. PREFIX-(count-1), each with
  // loopback up and tun0 up with both addresses and this MTU. On failure
  // removes whatever it had made.
  static Result<std::unique_ptr<Namespaces>> create(int count, int mtu);
  ~Namespaces();
  Namespaces(const Namespaces&) = delete;
  Namespaces& operator=(const Namespaces&) = delete;

  int count() const { return static_cast<int>(tun_fds_.size()); }
  std::string name(int peer) const;
  // Where peer `peer` runs once put behind NAT.
  std::string lan_name(int peer) const { return name(peer) + "-lan"; }

  // Puts peer `peer` behind NAT, as a home router without a forwarded
  // port: its namespace becomes the router (tun0 keeps the peer's WAN
  // addresses), and a new namespace lan_name(peer), joined to it by a veth
  // pair, holds the peer at kNatPeerIpv4 with a default route through the
  // router, whose nftables MASQUERADE rewrites what leaves by tun0.
  // Connections out work; none can be made in. Errc::not_supported when
  // nft(8) is missing.
  Status add_nat(int peer, int mtu);
  // Non-blocking; owned here.
  const std::vector<int>& tun_fds() const { return tun_fds_; }
  // Enters namespace `peer` on the calling thread only (setns), e.g. to
  // open a socket there; the socket stays in that namespace.
  Status enter(int peer) const;

 private:
  Namespaces() = default;
  Status add(int mtu);

  std::string prefix_;
  std::vector<int> tun_fds_;
  int created_ = 0;  // namespaces made so far (to delete)
  std::vector<int> natted_;  // peers whose lan_name() was made (to delete)
};

// Enters the named namespace on the calling thread (setns).
Status enter_namespace_by_name(const std::string& name);

// Deletes namespaces left by harness runs that were killed: those named
// dfsnh-PID-* whose PID no longer runs, after killing what still runs in
// them. Returns how many it deleted.
int sweep_stale();

}  // namespace dfs::netharness
