// dfs over an emulated WAN: 12 `dfs node` peers, each in its own network
// namespace, joined by dfs-netharness with 80 ms round trips and 2% loss
// on every link (tests/netharness/wan_network.hpp). Skipped where network
// namespaces cannot be made.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <numeric>

#include "../common/chunk_on_disk.hpp"
#include "dfs/dht/node_id.hpp"

#include "../common/eventually.hpp"
#include "wan_network.hpp"

namespace dfs::testing {
namespace {

constexpr int kReplicas = 3;
constexpr int kReader = 11;

WanOptions ocean() {
  WanOptions o;
  o.peers = 12;
  o.rtt_ms = 80;
  o.loss = 0.02;
  o.node_args = {"--replicas", std::to_string(kReplicas), "--fetch-timeout", "20"};
  return o;
}

using Wan = WanNetwork;

TEST_F(Wan, AFilePutAndGotAcross80MsRoundTripsAnd2PercentLossIsBitExactAndOnRPeers) {
  start_harness(ocean());
  if (IsSkipped() || HasFatalFailure()) return;
  start_peers();
  if (HasFatalFailure()) return;
  const std::string content = random_content(16 << 20, 1);
  const std::string id = put_at(0, write_file("big", content));
  auto got = dfs_at(kReader, {"get", id, "-o", dir_ + "/out"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_TRUE(read_file(dir_ + "/out") == content);
  const auto placed = holders();
  EXPECT_EQ(placed.size(), 17u) << "16 data chunks and the manifest";
  for (const auto& [chunk, peers] : placed) EXPECT_EQ(peers.size(), static_cast<std::size_t>(kReplicas)) << chunk;
}

TEST_F(Wan, AGetFailsOverWhenHoldersArePartitionedAwayAndThePartitionHeals) {
  start_harness(ocean());
  if (IsSkipped() || HasFatalFailure()) return;
  start_peers();
  if (HasFatalFailure()) return;
  const std::string content = random_content(8 << 20, 2);
  const std::string id = put_at(0, write_file("f", content));
  // Cut off the two holders (other than the writer and the reader) that
  // hold the most chunks: every chunk keeps at least one reachable copy.
  std::map<int, int> load;
  for (const auto& [chunk, peers] : holders()) {
    for (int p : peers) {
      if (p != 0 && p != kReader) ++load[p];
    }
  }
  std::vector<std::pair<int, int>> by_load;
  for (auto [p, n] : load) by_load.push_back({n, p});
  std::sort(by_load.rbegin(), by_load.rend());
  ASSERT_GE(by_load.size(), 2u);
  const int cut_a = by_load[0].second, cut_b = by_load[1].second;
  ASSERT_EQ(harness("partition " + std::to_string(cut_a) + "," + std::to_string(cut_b)).exit_code, 0);

  // Within --fetch-timeout per chunk, the reader turns to other holders.
  auto got = dfs_at(kReader, {"get", id, "-o", dir_ + "/out"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_TRUE(read_file(dir_ + "/out") == content);

  const auto stats = harness("stats").out;
  EXPECT_EQ(stats.find(" cut=0 "), std::string::npos) << "the partition dropped nothing: " << stats;

  // Healed, a peer that was cut off reads the whole file again (it holds
  // only part of it, so it needs the others).
  ASSERT_EQ(harness("heal").exit_code, 0);
  auto again = dfs_at(cut_a, {"get", id, "-o", dir_ + "/out2"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_TRUE(read_file(dir_ + "/out2") == content);
}

// A third of the peers is cut off while a file is put at the others; once
// the partition heals, the two sides find each other again (they ping the
// contacts they dropped) and repair gives each chunk's R closest of all
// the peers their copies. The emulator forwards at most 1.2 times the
// bytes of the copies that were missing, lookups, HAS checks and TLS
// included: nothing that was never lost is copied (the file put before
// the cut is on its R closest all along), and of the holders of a chunk
// only the closest pushes a missing copy. bench/wan_repair.sh runs it
// larger: DFS_WAN_REPAIR_PEERS (default 6; the last third is cut off) and
// DFS_WAN_REPAIR_MIB (default 16, the file put while they are).
int from_env(const char* name, int fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && std::atoi(value) > 0 ? std::atoi(value) : fallback;
}

TEST_F(WanNetwork, AfterAPartitionHealsRepairCopiesOnlyWhatIsMissing) {
  WanOptions o;
  o.peers = std::max(from_env("DFS_WAN_REPAIR_PEERS", 6), 3);
  const int file_mib = from_env("DFS_WAN_REPAIR_MIB", 16);
  o.rtt_ms = 20;
  o.node_args = {"--replicas", std::to_string(kReplicas), "--repair-interval", "2"};
  start_harness(o);
  if (IsSkipped() || HasFatalFailure()) return;
  start_peers();
  if (HasFatalFailure()) return;
  std::vector<dht::NodeId> ids;
  for (int i = 0; i < o.peers; ++i) {
    auto id = dht::NodeId::from_hex(node_id(i));
    ASSERT_TRUE(id.ok()) << dfs_at(i, {"status"}).out;
    ids.push_back(*id);
  }
  // The bytes of the copies that the R closest of `among` (all peers when
  // empty) lack, by sealed size (packed small chunks count 0: the bound
  // only tightens).
  auto missing_bytes = [&](std::vector<int> among = {}) {
    if (among.empty()) {
      among.resize(ids.size());
      std::iota(among.begin(), among.end(), 0);
    }
    std::map<std::string, std::uint64_t> size;
    std::map<std::string, std::set<int>> held;
    for (int i = 0; i < o.peers; ++i) {
      for (const auto& [id, where] : served_chunks_on_disk(data(i))) {
        held[id.hex()].insert(i);
        size[id.hex()] = where.packed ? 0 : std::filesystem::file_size(where.path);
      }
    }
    std::uint64_t bytes = 0;
    for (const auto& [chunk, peers] : held) {
      const dht::NodeId key = dht::NodeId::from_chunk(*ChunkId::from_hex(chunk));
      std::vector<int> order = among;
      std::sort(order.begin(), order.end(), [&](int a, int b) { return dht::closer(key, ids[a], ids[b]); });
      for (int r = 0; r < std::min<int>(kReplicas, static_cast<int>(order.size())); ++r) {
        bytes += peers.count(order[r]) == 0 ? size[chunk] : 0;
      }
    }
    return bytes;
  };
  put_at(0, write_file("before", random_content(4 << 20, 8)));
  ASSERT_EQ(missing_bytes(), 0u) << "a put places every chunk on its R closest";

  std::string cut;
  std::vector<int> rest;
  std::vector<int> cut_off;
  for (int i = 0; i < o.peers; ++i) {
    if (i < o.peers - o.peers / 3) {
      rest.push_back(i);
    } else {
      cut += (cut.empty() ? "" : ",") + std::to_string(i);
      cut_off.push_back(i);
    }
  }
  ASSERT_EQ(harness("partition " + cut).exit_code, 0);
  put_at(1, write_file("during", random_content(static_cast<std::size_t>(file_mib) << 20, 9)));
  // A partition that lasts: the larger side repairs around the cut (what
  // the cut-off peers held gets copies on its side) before it heals.
  EXPECT_TRUE(eventually([&] { return missing_bytes(rest) == 0; }, std::chrono::seconds(120),
                         std::chrono::milliseconds(250)));
  // So does the smaller side, which starts late: only once its dials to
  // the other side have timed out and it has dropped those contacts. Two
  // repair rounds after that, it is done; its copies landing after the
  // heal would otherwise be counted as the heal's.
  std::map<int, std::uint64_t> rounds_when_alone;
  EXPECT_TRUE(eventually(
      [&] {
        for (int i : cut_off) {
          if (rounds_when_alone.contains(i)) continue;
          if (known_peers(i) > static_cast<int>(cut_off.size()) - 1) return false;
          rounds_when_alone[i] = status_number(i, "repair_rounds");
        }
        return std::all_of(cut_off.begin(), cut_off.end(),
                           [&](int i) { return status_number(i, "repair_rounds") >= rounds_when_alone[i] + 2; });
      },
      std::chrono::seconds(120), std::chrono::milliseconds(250)));
  ASSERT_EQ(harness("heal").exit_code, 0);
  const std::uint64_t missing = missing_bytes();
  const std::uint64_t sent_before = forwarded_bytes();
  ASSERT_GT(missing, 0u) << "the chunks put while cut off miss their copies on peers " << cut;

  EXPECT_TRUE(eventually([&] { return missing_bytes() == 0; }, std::chrono::seconds(120),
                         std::chrono::milliseconds(250)));
  const std::uint64_t sent = forwarded_bytes() - sent_before;
  std::uint64_t copies = 0;  // by repair, since each peer started
  for (int i = 0; i < o.peers; ++i) copies += status_number(i, "repair_copies");
  EXPECT_LE(static_cast<double>(sent), 1.2 * static_cast<double>(missing))
      << "forwarded " << sent << " bytes to restore " << missing << " missing bytes";
  std::printf("repair after the partition healed: %llu bytes forwarded for %llu missing (%.2fx); %llu copies by repair\n",
              static_cast<unsigned long long>(sent), static_cast<unsigned long long>(missing),
              static_cast<double>(sent) / static_cast<double>(missing), static_cast<unsigned long long>(copies));
}

// The same put and get where every peer has only an IPv6 address, and
// where half listen on IPv6 (both families) and half on IPv4.
class WanFamilies : public WanNetwork {
 protected:
  void run(Family family, int writer, int reader) {
    WanOptions o;
    o.rtt_ms = 20;
    o.family = family;
    o.node_args = {"--replicas", std::to_string(kReplicas)};
    start_harness(o);
    if (IsSkipped() || HasFatalFailure()) return;
    start_peers();
    if (HasFatalFailure()) return;
    const std::string content = random_content(8 << 20, 3);
    const std::string id = put_at(writer, write_file("f", content));
    auto got = dfs_at(reader, {"get", id, "-o", dir_ + "/out"});
    ASSERT_EQ(got.exit_code, 0) << got.err;
    EXPECT_TRUE(read_file(dir_ + "/out") == content);
    peers_listing_ = dfs_at(0, {"peers"}).out;
  }
  std::string peers_listing_;
};

TEST_F(WanFamilies, AnIpv6OnlyNetworkJoinsPutsAndGetsBitExact) {
  run(Family::ipv6, 0, kReader);
  if (IsSkipped()) return;
  EXPECT_NE(peers_listing_.find("[fd0d:f500::c]:4001"), std::string::npos) << peers_listing_;
  EXPECT_EQ(peers_listing_.find("10.201."), std::string::npos) << peers_listing_;
}

TEST_F(WanFamilies, InAMixedNetworkAnIpv4PeersFileIsReadByAnIpv6Peer) {
  run(Family::mixed, 1, 10);
  if (IsSkipped()) return;
  // Peer 0 knows the others by the address each advertises, of both families.
  EXPECT_NE(peers_listing_.find("[fd0d:f500::b]:4001"), std::string::npos) << peers_listing_;
  EXPECT_NE(peers_listing_.find("10.201.0.12:4001"), std::string::npos) << peers_listing_;
}

// A peer on a wildcard with no --advertise (as one behind NAT would be
// without a forwarded port): it joins and reads through the others, but
// no one learns an address for it, so none hands it out.
TEST_F(WanNetwork, APeerThatAdvertisesNoAddressReadsButIsNeverHandedOut) {
  WanOptions o;
  o.peers = 4;
  o.rtt_ms = 20;
  o.family = Family::ipv6;
  o.unadvertised = 3;
  start_harness(o);
  if (IsSkipped() || HasFatalFailure()) return;
  start_peers();
  if (HasFatalFailure()) return;
  const std::string content = random_content(4 << 20, 4);
  const std::string id = put_at(0, write_file("f", content));
  auto got = dfs_at(3, {"get", id, "-o", dir_ + "/out"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_TRUE(read_file(dir_ + "/out") == content);
  EXPECT_EQ(known_peers(3), 3) << "it knows the others";
  for (int i = 0; i < 3; ++i) {
    // Each advertised peer comes to know exactly the two others (peers
    // that joined together meet in the lookups that follow a join), and
    // never peer 3.
    EXPECT_TRUE(eventually([&] { return known_peers(i) == 2; }, std::chrono::seconds(60),
                           std::chrono::milliseconds(200)));
    const std::string listing = dfs_at(i, {"peers"}).out;
    EXPECT_EQ(listing.find("[::]"), std::string::npos) << "peer " << i << ": " << listing;
    EXPECT_EQ(known_peers(i), 2) << "peer " << i << ": " << listing;
  }
  for (const auto& [chunk, peers] : holders()) EXPECT_EQ(peers.count(3), 0u) << chunk << " placed on peer 3";
}

// A peer behind NAT (MASQUERADE: a home router with no forwarded port)
// that advertises its private address: it joins, puts and gets through
// the others, learns from their failed dial-backs that it is not
// reachable, and none hands it out or holds a chunk on it; its own file is
// on R other peers, since its own copy is no replica.
TEST_F(WanNetwork, APeerBehindNatPutsAndGetsButIsNeverHandedOutNorHoldsChunks) {
  constexpr int kNatted = 4;
  WanOptions o;
  o.peers = 5;
  o.rtt_ms = 20;
  o.natted = kNatted;
  o.node_args = {"--replicas", std::to_string(kReplicas)};
  start_harness(o);
  if (IsSkipped() || HasFatalFailure()) return;
  start_peers();
  if (HasFatalFailure()) return;
  auto reachable = [&](int i, const std::string& answer) {
    return dfs_at(i, {"status"}).out.find("reachable:       " + answer) != std::string::npos;
  };
  EXPECT_TRUE(eventually([&] { return reachable(kNatted, "no:"); }, std::chrono::seconds(120),
                         std::chrono::milliseconds(200)))
      << dfs_at(kNatted, {"status"}).out;
  EXPECT_TRUE(eventually([&] { return reachable(1, "yes"); }, std::chrono::seconds(60),
                         std::chrono::milliseconds(200)))
      << dfs_at(1, {"status"}).out;

  const std::string mine = random_content(4 << 20, 6);
  const std::string mine_id = put_at(kNatted, write_file("natted", mine));
  auto got = dfs_at(1, {"get", mine_id, "-o", dir_ + "/out"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_TRUE(read_file(dir_ + "/out") == mine);
  const std::string theirs = random_content(4 << 20, 7);
  const std::string theirs_id = put_at(0, write_file("theirs", theirs));
  auto read = dfs_at(kNatted, {"get", theirs_id, "-o", dir_ + "/out2"});
  ASSERT_EQ(read.exit_code, 0) << read.err;
  EXPECT_TRUE(read_file(dir_ + "/out2") == theirs);

  EXPECT_EQ(known_peers(kNatted), kNatted) << "it knows every other peer";
  for (int i = 0; i < kNatted; ++i) {
    const std::string listing = dfs_at(i, {"peers"}).out;
    EXPECT_EQ(listing.find("10.202."), std::string::npos) << "peer " << i << ": " << listing;
    EXPECT_EQ(known_peers(i), kNatted - 1) << "peer " << i << ": " << listing;
  }
  const auto placed = holders();
  EXPECT_EQ(placed.size(), 10u) << "4 data chunks and a manifest, of each file";
  for (const auto& [chunk, peers] : placed) {
    EXPECT_EQ(peers.count(kNatted), 0u) << chunk << " is held by the peer behind NAT";
    EXPECT_EQ(peers.size(), static_cast<std::size_t>(kReplicas)) << chunk;
  }
}

// A peer restarted on another port keeps its ID (its data directory holds
// its key), and the others route to it at the new address once it
// answers there; what it held is read through it again.
TEST_F(WanNetwork, APeerRestartedOnANewAddressKeepsItsIdAndIsFoundThere) {
  WanOptions o;
  o.peers = 5;
  o.rtt_ms = 20;
  o.node_args = {"--replicas", "3"};
  start_harness(o);
  if (IsSkipped() || HasFatalFailure()) return;
  start_peers();
  if (HasFatalFailure()) return;
  constexpr int kMoved = 4;
  const std::string status = dfs_at(kMoved, {"status"}).out;
  const auto at = status.find("node ID:");
  ASSERT_NE(at, std::string::npos) << status;
  const auto id_at = status.find_first_not_of(' ', at + 8);
  const std::string id = status.substr(id_at, status.find('\n', id_at) - id_at);
  ASSERT_EQ(listed_address(0, id), address(kMoved));

  const std::string old_address = address(kMoved);
  peers_.erase(kMoved);  // SIGKILL
  ports_[kMoved] = kPort + 1;
  start_peer(kMoved);
  ASSERT_TRUE(peers_[kMoved]->wait_for_log("listening on", 60)) << peers_[kMoved]->log();
  ASSERT_NE(address(kMoved), old_address);
  for (int i = 0; i < kMoved; ++i) {
    EXPECT_TRUE(eventually([&] { return listed_address(i, id) == address(kMoved); }, std::chrono::seconds(60),
                           std::chrono::milliseconds(200)))
        << "peer " << i << " lists it at '" << listed_address(i, id) << "': " << dfs_at(i, {"peers"}).out;
  }
  // And it takes part at its new address: a file put through it is read
  // at another peer.
  const std::string content = random_content(2 << 20, 5);
  const std::string file = put_at(kMoved, write_file("moved", content));
  auto got = dfs_at(1, {"get", file, "-o", dir_ + "/out"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_TRUE(read_file(dir_ + "/out") == content);
}

}  // namespace
}  // namespace dfs::testing
