// A test fixture: dfs-netharness running N namespaces joined by an
// emulated WAN, `dfs node` peers inside them, and the dfs command line
// reaching each through its control socket (a file: no network needed).
// Skips the test, saying why, where namespaces cannot be made (not root,
// no /dev/net/tun, no iproute2).
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "../common/test_data.hpp"
#include "../integration/run_process.hpp"

namespace dfs::testing {

// Which address each peer listens on and advertises.
enum class Family {
  ipv4,   // 10.201.0.N:4001
  ipv6,   // [fd0d:f500::N]:4001
  mixed,  // even peers on [::]:4001 (both families) advertising IPv6, odd ones IPv4
};

struct WanOptions {
  int peers = 12;
  Family family = Family::ipv4;
  double rtt_ms = 0;  // round trip: each direction gets half
  double loss = 0;    // per direction
  std::vector<std::string> node_args;  // more `dfs node` options for every peer
  // This peer (if any) listens on [::]:4001 and advertises nothing: others
  // cannot dial it, so none should hand it out or count it as known.
  int unadvertised = -1;
  // This peer (if any, not 0) sits behind NAT (Namespaces::add_nat) at
  // 10.202.0.2:4001, an address no other peer can dial.
  int natted = -1;
  // These peers get these `dfs node` options instead of the --listen,
  // --advertise and --bootstrap that `family` would give them.
  std::map<int, std::vector<std::string>> addressing;
};

class WanNetwork : public ::testing::Test {
 protected:
  static constexpr int kPort = 4001;

  void TearDown() override;

  // Starts the harness; the test is skipped if it cannot make namespaces.
  void start_harness(const WanOptions& options);
  // Starts every peer (each bootstrapping through peer 0) and waits until
  // peer 0 knows all the others.
  void start_peers();
  void start_peer(int i);  // does not wait

  std::string data(int i) const { return dir_ + "/peer" + std::to_string(i); }
  std::string address(int i) const;
  std::string write_file(const std::string& name, const std::string& content);

  ProcessResult dfs_at(int i, std::vector<std::string> args);
  ProcessResult harness(const std::string& command);  // a control command
  int known_peers(int i);
  // The address peer i lists for the peer whose ID is `id` ("" if none).
  std::string listed_address(int i, const std::string& id);
  // File ID of `path` put at peer i.
  std::string put_at(int i, const std::string& path);
  // chunk ID (hex) -> the peers whose store holds it.
  std::map<std::string, std::set<int>> holders();
  // Peer i's node ID (hex), from dfs status.
  std::string node_id(int i);
  // A number field of peer i's `dfs status --json` (0 when absent).
  std::uint64_t status_number(int i, const std::string& field);
  // Bytes the emulator has forwarded so far, all links.
  std::uint64_t forwarded_bytes();
  // Runs iproute2's `ip -n NAMESPACE-OF-PEER-i args...`.
  ProcessResult ip_in(int i, std::vector<std::string> args);

  WanOptions options_;
  std::string dir_;
  std::unique_ptr<Daemon> harness_;
  std::string prefix_;  // of the namespaces' names
  std::map<int, std::unique_ptr<Daemon>> peers_;
  std::map<int, int> ports_;  // a peer listening elsewhere than kPort
};

}  // namespace dfs::testing
