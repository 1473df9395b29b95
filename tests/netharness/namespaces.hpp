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

constexpr int kEthernetMtu = 1500;

// The tcp_rmem ("min initial max" bytes) of every namespace made for
// links of this MTU: this host's, with the initial receive buffer scaled
// by MTU / 1500. The emulator forwards jumbo packets (60,000 bytes by
// default, 40 Ethernet frames) to be fast. TCP's windows count bytes but
// grow by segments: at the host's initial buffer (128 KiB: a window of
// ~40 Ethernet segments) a new connection advertises less than one jumbo
// segment and crawls for a second at 80 ms round trips, where on Ethernet
// its window opens in a few. Scaled, the initial window holds as many
// segments as an Ethernet host's; the maximum stays the host's.
std::string scaled_tcp_rmem(int mtu);

class Namespaces {
 public:
  // Creates `count` namespaces PREFIX-0 .. PREFIX-(count-1), each with
  // loopback up, tun0 up with both addresses and this MTU, and TCP's
  // receive buffers for it (scaled_tcp_rmem). On failure
  // removes whatever it had made.
  static Result<std::unique_ptr<Namespaces>> create(int count, int mtu);
  ~Namespaces();
  Namespaces(const Namespaces&) = delete;
  Namespaces& operator=(const Namespaces&) = delete;

  int count() const { return static_cast<int>(tun_fds_.size()); }
  const std::string& tcp_rmem() const { return tcp_rmem_; }
  std::string name(int peer) const;
  // Where peer `peer` runs once put behind NAT.
  std::string lan_name(int peer) const { return name(peer) + "-lan"; }

  // Puts peer `peer` behind NAT, as a home router without a forwarded
  // port: its namespace becomes the router (tun0 keeps the peer's WAN
  // addresses), and a new namespace lan_name(peer), joined to it by a veth
  // pair, holds the peer at kNatPeerIpv4 with a default route through the
  // router, whose nftables MASQUERADE rewrites what leaves by tun0
  // (lan_name(peer) gets the same tcp_rmem).
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
  std::string tcp_rmem_;  // scaled_tcp_rmem of the MTU
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
