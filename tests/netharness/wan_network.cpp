#include "wan_network.hpp"

#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "../common/chunk_on_disk.hpp"
#include "../common/eventually.hpp"
#include "addresses.hpp"

namespace dfs::testing {

namespace fs = std::filesystem;

void WanNetwork::TearDown() {
  peers_.clear();  // SIGKILLs the peers
  if (harness_) harness_->stop(SIGTERM);  // deletes the namespaces
  if (!dir_.empty() && !HasFailure()) fs::remove_all(dir_);
}

void WanNetwork::start_harness(const WanOptions& options) {
  if (::geteuid() != 0) GTEST_SKIP() << "network namespaces need root";
  if (::access("/dev/net/tun", R_OK | W_OK) != 0) GTEST_SKIP() << "no /dev/net/tun";
  options_ = options;
  char tmpl[] = "/tmp/dfs-wan-test-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  dir_ = tmpl;
  const std::string half = std::to_string(options.rtt_ms / 2);
  harness_ = std::make_unique<Daemon>(
      binary_from_env("DFS_NETHARNESS_BIN"),
      std::vector<std::string>{"run", "--peers", std::to_string(options.peers), "--control", dir_ + "/harness.sock",
                               "--delay-ms", half, "--loss", std::to_string(options.loss), "--nat",
                               options.natted > 0 ? std::to_string(options.natted) : ""},
      dir_ + "/harness.log");
  if (!harness_->wait_for_log("ready", 60)) {
    if (harness_->wait_exit(1) == 77) GTEST_SKIP() << "no network namespaces here: " << harness_->log();
    FAIL() << "the harness did not start: " << harness_->log();
  }
  const std::string log = harness_->log();
  const auto at = log.find("prefix=") + 7;
  prefix_ = log.substr(at, log.find(' ', at) - at);
}

std::string WanNetwork::address(int i) const {
  const bool v6 = options_.family == Family::ipv6 || (options_.family == Family::mixed && i % 2 == 0);
  const auto moved = ports_.find(i);
  const std::string port = std::to_string(moved == ports_.end() ? kPort : moved->second);
  if (i == options_.natted) return std::string(netharness::kNatPeerIpv4) + ":" + port;
  return v6 ? "[" + netharness::ipv6_of(i) + "]:" + port : netharness::ipv4_of(i) + ":" + port;
}

void WanNetwork::start_peer(int i) {
  std::vector<std::string> args = {prefix_ + "-" + std::to_string(i) + (i == options_.natted ? "-lan" : ""),
                                   binary_from_env("DFS_BIN"),
                                   "--data",
                                   data(i),
                                   "node",
                                   "--listen",
                                   address(i)};
  if (const auto own = options_.addressing.find(i); own != options_.addressing.end()) {
    args.pop_back();
    args.pop_back();
    args.insert(args.end(), own->second.begin(), own->second.end());
  } else if (i == options_.unadvertised) {
    args.back() = "[::]:" + std::to_string(kPort);
  } else if (options_.family == Family::mixed && i % 2 == 0) {
    args.back() = "[::]:" + std::to_string(kPort);
    args.insert(args.end(), {"--advertise", address(i)});
  }
  // In a mixed network, the IPv4 peers join through peer 0's IPv4
  // address: its one socket on [::] must take both families.
  const bool v4_into_dual = options_.family == Family::mixed && i % 2 == 1;
  if (i != 0 && !options_.addressing.contains(i)) {
    args.insert(args.end(), {"--bootstrap", v4_into_dual ? netharness::ipv4_of(0) + ":4001" : address(0)});
  }
  args.insert(args.end(), options_.node_args.begin(), options_.node_args.end());
  args.insert(args.begin(), "exec");
  peers_[i] = std::make_unique<Daemon>(binary_from_env("DFS_NETHARNESS_BIN"), args,
                                       dir_ + "/peer" + std::to_string(i) + ".log");
}

void WanNetwork::start_peers() {
  // Peer 0 first, then the others all at once (they join through it).
  start_peer(0);
  ASSERT_TRUE(peers_[0]->wait_for_log("listening on", 60)) << peers_[0]->log();
  for (int i = 1; i < options_.peers; ++i) start_peer(i);
  for (int i = 1; i < options_.peers; ++i) {
    ASSERT_TRUE(peers_[i]->wait_for_log("listening on", 60)) << peers_[i]->log();
  }
  // Joins take a few round trips each.
  const int dialable = options_.peers - 1 - (options_.unadvertised > 0 ? 1 : 0) - (options_.natted > 0 ? 1 : 0);
  EXPECT_TRUE(eventually([&] { return known_peers(0) == dialable; }, std::chrono::seconds(120),
                         std::chrono::milliseconds(200)));
  ASSERT_EQ(known_peers(0), dialable) << dfs_at(0, {"peers"}).out;
}

std::string WanNetwork::write_file(const std::string& name, const std::string& content) {
  const std::string path = dir_ + "/" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

ProcessResult WanNetwork::dfs_at(int i, std::vector<std::string> args) {
  args.insert(args.begin(), {"--data", data(i)});
  return run_process(binary_from_env("DFS_BIN"), args);
}

ProcessResult WanNetwork::harness(const std::string& command) {
  std::vector<std::string> args = {"ctl", dir_ + "/harness.sock"};
  for (std::size_t at = 0; at < command.size();) {
    const auto space = command.find(' ', at);
    args.push_back(command.substr(at, space - at));
    at = space == std::string::npos ? command.size() : space + 1;
  }
  return run_process(binary_from_env("DFS_NETHARNESS_BIN"), args);
}

int WanNetwork::known_peers(int i) {
  auto r = dfs_at(i, {"peers"});
  return static_cast<int>(std::count(r.out.begin(), r.out.end(), '\n'));
}

std::string WanNetwork::listed_address(int i, const std::string& id) {
  const std::string listing = dfs_at(i, {"peers"}).out;
  const auto at = listing.find(id + "  ");
  if (at == std::string::npos) return "";
  const auto from = at + id.size() + 2;  // "ID  ADDRESS  heard from … ago"
  return listing.substr(from, listing.find("  ", from) - from);
}

std::string WanNetwork::put_at(int i, const std::string& path) {
  auto r = dfs_at(i, {"put", path});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out.substr(0, r.out.find('\n'));
}

std::map<std::string, std::set<int>> WanNetwork::holders() {
  std::map<std::string, std::set<int>> out;
  for (int i = 0; i < options_.peers; ++i) {
    for (const auto& [id, where] : served_chunks_on_disk(data(i))) out[id.hex()].insert(i);
  }
  return out;
}

std::string WanNetwork::node_id(int i) {
  const std::string status = dfs_at(i, {"status"}).out;
  const auto at = status.find("node ID:");
  if (at == std::string::npos) return "";
  const auto from = status.find_first_not_of(' ', at + 8);
  return status.substr(from, status.find('\n', from) - from);
}

std::uint64_t WanNetwork::status_number(int i, const std::string& field) {
  const std::string status = dfs_at(i, {"status", "--json"}).out;
  const std::string key = "\"" + field + "\":";
  const auto at = status.find(key);
  return at == std::string::npos ? 0 : std::stoull(status.substr(at + key.size()));
}

std::uint64_t WanNetwork::forwarded_bytes() {
  const std::string stats = harness("stats").out;
  const auto at = stats.find("forwarded_bytes=");
  return at == std::string::npos ? 0 : std::stoull(stats.substr(at + 16));
}

ProcessResult WanNetwork::ip_in(int i, std::vector<std::string> args) {
  args.insert(args.begin(), {"-n", prefix_ + "-" + std::to_string(i)});
  for (const char* ip : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
    if (::access(ip, X_OK) == 0) return run_process(ip, args);
  }
  return ProcessResult{127, "", "no iproute2 ip found"};
}

}  // namespace dfs::testing
