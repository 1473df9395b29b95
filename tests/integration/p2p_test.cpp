// The P2P engine with real processes: `dfs node` peers on 127.0.0.x talking
// TLS, the dfs command line reaching them through their control sockets,
// and checks made by reading each peer's chunk store on disk.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <set>

#include "../common/chunk_on_disk.hpp"
#include "../common/eventually.hpp"
#include "../common/temp_dir.hpp"
#include "../common/test_data.hpp"
#include "run_process.hpp"

namespace dfs::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr int kReplicas = 3;

// Ports differ per test process so that parallel runs do not collide.
int base_port() { return 20000 + static_cast<int>(::getpid() % 20000); }

class PeerNetwork : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tmp_.ok());
    dir_ = tmp_.path();
    key_ = write_key("network.key", "a shared secret for this test network, 32+ bytes");
  }
  void TearDown() override {
    peers_.clear();  // kills what still runs
    if (HasFailure()) tmp_.keep();  // the peers' logs
  }

  std::string write_file(const std::string& name, const std::string& content) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  // A network key file: at least 32 bytes, readable by its owner only
  // (a node refuses anything else).
  std::string write_key(const std::string& name, const std::string& content) {
    const std::string path = write_file(name, content);
    fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
    return path;
  }

  std::string data(int i) const { return dir_ + "/peer" + std::to_string(i); }
  std::string address(int i) const { return "127.0.0." + std::to_string(i + 1) + ":" + std::to_string(base_port()); }

  // Starts peer i (bootstrapping through peer 0 unless it is peer 0).
  void start_peer(int i, std::optional<std::string> key_file = std::nullopt) {
    std::vector<std::string> args = {"--data", data(i), "node", "--listen", address(i), "--replicas",
                                     std::to_string(kReplicas), "--repair-interval", repair_interval_,
                                     "--network-key", key_file.value_or(key_)};
    if (i != 0) args.insert(args.end(), {"--bootstrap", address(0)});
    peers_[i] = std::make_unique<Daemon>(binary_from_env("DFS_BIN"), args,
                                         dir_ + "/peer" + std::to_string(i) + ".log");
    ASSERT_TRUE(peers_[i]->wait_for_log("listening on")) << peers_[i]->log();
  }

  void start_network(int n) {
    for (int i = 0; i < n; ++i) start_peer(i);
    // Every peer knows the others once the joins settle.
    ASSERT_TRUE(eventually([&] { return known_peers(0) == n - 1; })) << dfs_at(0, {"peers"}).out;
  }

  ProcessResult dfs_at(int i, std::vector<std::string> args) { return dfs_with_data(data(i), std::move(args)); }

  int known_peers(int i) { return peers_known_at(data(i)); }

  std::string put_at(int i, const std::string& path) {
    auto r = dfs_at(i, {"put", path});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out.substr(0, r.out.find('\n'));
  }

  // chunk ID -> the peers that serve it: their own store/ or held/, where
  // chunks other peers put land (not their caches, unless `area` says
  // "cache").
  std::map<std::string, std::set<int>> holders(const std::set<int>& peers, const std::string& area = "served") {
    std::map<std::string, std::set<int>> out;
    for (int i : peers) {
      const auto chunks = area == "served" ? dfs::testing::served_chunks_on_disk(data(i))
                                           : dfs::testing::chunks_on_disk(data(i) + "/" + area);
      for (const auto& [id, where] : chunks) out[id.hex()].insert(i);
    }
    return out;
  }

  // Peer i's node ID in hex, from the line it logs when it starts.
  std::string node_id(int i) const {
    const std::string log = peers_.at(i)->log();
    const auto at = log.find("peer ") + 5;
    return log.substr(at, 64);
  }

  // Kademlia's XOR metric on hex IDs: equal-length hex strings compare like
  // the numbers they spell.
  static std::string xor_distance(const std::string& a, const std::string& b) {
    static const char* digits = "0123456789abcdef";
    std::string out(64, '0');
    for (std::size_t i = 0; i < 64; ++i) {
      const int x = static_cast<int>(std::string_view(digits).find(a[i]) ^ std::string_view(digits).find(b[i]));
      out[i] = digits[x];
    }
    return out;
  }

  dfs::testing::TempDir tmp_{"dfs-p2p-test"};
  std::string dir_;
  std::string key_;
  std::map<int, std::unique_ptr<Daemon>> peers_;
  std::string repair_interval_ = "1";  // seconds
};

TEST_F(PeerNetwork, AFilePutAtOnePeerIsReadBitExactAtAnotherAndEveryChunkSitsOnExactlyRPeers) {
  start_network(5);
  const std::string content = random_content(64 << 20, 1);
  const std::string id = put_at(0, write_file("big", content));
  auto got = dfs_at(4, {"get", id, "-o", dir_ + "/out"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_TRUE(read_file(dir_ + "/out") == content);
  auto placed = holders({0, 1, 2, 3, 4});
  EXPECT_EQ(placed.size(), 65u) << "64 data chunks and the manifest";
  for (const auto& [chunk, peers] : placed) EXPECT_EQ(peers.size(), static_cast<std::size_t>(kReplicas)) << chunk;
}

TEST_F(PeerNetwork, ATreePutAtOnePeerIsListedAndReadAtAnotherThatHeldNoneOfIt) {
  start_network(4);
  fs::create_directories(dir_ + "/tree/sub dir");
  write_file("tree/a", random_content(300000, 2));
  write_file("tree/sub dir/b", "b");
  fs::create_symlink("../a", dir_ + "/tree/sub dir/to a");
  auto put = dfs_at(0, {"put", "-r", dir_ + "/tree"});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  const std::string id = put.out.substr(0, put.out.find('\n'));
  ASSERT_EQ(id.rfind("dfs1d", 0), 0u) << put.out;
  // Peer 3 is not the owner: whatever it holds, it holds as one of the R
  // closest. Its cache, where a reader would keep fetched chunks, is empty.
  ASSERT_TRUE(holders({3}, "cache").empty());
  auto ls = dfs_at(3, {"ls", id});
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_EQ(ls.out, "a\nsub dir/\n");
  auto one = dfs_at(3, {"get", id + "/sub dir/b", "-o", dir_ + "/b"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(read_file(dir_ + "/b"), "b");
  auto got = dfs_at(3, {"get", id, "-o", dir_ + "/copy"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_TRUE(read_file(dir_ + "/copy/a") == read_file(dir_ + "/tree/a"));
  EXPECT_EQ(fs::read_symlink(dir_ + "/copy/sub dir/to a"), "../a");
}

TEST_F(PeerNetwork, AGetSucceedsAfterTwoHoldersAreKilledAndRepairRestoresRCopies) {
  start_network(5);
  const std::string content = random_content(8 << 20, 2);
  const std::string id = put_at(0, write_file("f", content));
  // Kill the two peers (other than the writer and the reader) holding the
  // most chunks.
  auto placed = holders({0, 1, 2, 3, 4});
  std::map<int, int> load;
  for (const auto& [chunk, peers] : placed) for (int p : peers) if (p != 0 && p != 4) ++load[p];
  std::vector<std::pair<int, int>> by_load;
  for (auto [p, n] : load) by_load.push_back({n, p});
  std::sort(by_load.rbegin(), by_load.rend());
  ASSERT_GE(by_load.size(), 2u);
  std::set<int> alive = {0, 1, 2, 3, 4};
  for (int k = 0; k < 2; ++k) {
    peers_[by_load[static_cast<std::size_t>(k)].second]->stop(SIGKILL);
    alive.erase(by_load[static_cast<std::size_t>(k)].second);
  }
  auto got = dfs_at(4, {"get", id, "-o", dir_ + "/out"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_TRUE(read_file(dir_ + "/out") == content);

  // Repair runs every second: wait for every chunk to be back on R live peers.
  const bool repaired = eventually(
      [&] {
        for (const auto& [chunk, peers] : holders(alive)) {
          if (peers.size() < kReplicas) return false;
        }
        return true;
      },
      30s, 100ms);
  EXPECT_TRUE(repaired) << "not every chunk is back on " << kReplicas << " live peers after 30 s";
}

TEST_F(PeerNetwork, WhenEveryHolderOfAChunkDiesTheOwnersRepairPutsItBackFromItsCache) {
  start_network(6);
  // 16 chunks and a manifest: the owner is among the R = 3 closest of 6
  // peers for about half of them, so one of 2^17 runs would leave nothing
  // in its cache (with 4 chunks, one in 32 did).
  put_at(0, write_file("f", random_content(16 << 20, 3)));
  // A chunk the owner keeps in its cache (others are responsible for it):
  // only the owner's repair can still place it once its holders are gone.
  const auto cached = holders({0}, "cache");
  ASSERT_FALSE(cached.empty());
  const std::string chunk = cached.begin()->first;
  const std::set<int> held_by = holders({1, 2, 3, 4, 5})[chunk];
  ASSERT_EQ(held_by.size(), static_cast<std::size_t>(kReplicas));
  std::set<int> others = {1, 2, 3, 4, 5};
  for (int p : held_by) {
    peers_[p]->stop(SIGKILL);
    others.erase(p);
  }

  // Repair runs every second; the owner's lookups first have to time out
  // on the dead peers. Every other live peer is among the R closest now.
  const bool restored = eventually([&] { return holders(others)[chunk] == others; }, 60s, 100ms);
  EXPECT_TRUE(restored) << "chunk " << chunk << " is not back on the " << others.size() << " other live peers after 60 s";
}

TEST_F(PeerNetwork, APeerWithTheWrongNetworkKeyCanNeitherJoinNorFetch) {
  start_network(3);
  const std::string id = put_at(0, write_file("f", "members only"));
  start_peer(3, write_key("wrong.key", "not the network's key, though 32+ bytes"));
  // Its join through peer 0 was refused (it logs why), and it learnt nobody.
  EXPECT_TRUE(peers_[3]->wait_for_log("network", 5)) << peers_[3]->log();
  EXPECT_EQ(known_peers(3), 0);
  auto got = dfs_at(3, {"get", id});
  EXPECT_NE(got.exit_code, 0);
  EXPECT_EQ(got.out, "");
  EXPECT_TRUE(peers_[0]->wait_for_log("network", 5)) << "the network's side logs why it refused";
  EXPECT_NE(peers_[3]->log().find("network"), std::string::npos) << peers_[3]->log();
}

TEST_F(PeerNetwork, ChunksThatWentBadOnSomePeersAreDetectedAndReadFromAnotherReplica) {
  start_network(5);
  const std::string content = random_content(4 << 20, 3);
  const std::string id = put_at(0, write_file("f", content));
  // The reader is the peer (not the writer, which keeps a cache) holding
  // the fewest chunks, so that it must fetch some from the others.
  std::map<int, int> held;
  for (const auto& [chunk, peers] : holders({0, 1, 2, 3, 4})) for (int p : peers) ++held[p];
  int reader = 1;
  for (int p = 2; p <= 4; ++p) if (held[p] < held[reader]) reader = p;
  ASSERT_LT(held[reader], static_cast<int>(holders({0, 1, 2, 3, 4}).size()));
  // For every chunk, spoil all copies but the farthest from its ID (never
  // the reader's own): a reader asks the closest first, so it meets a bad
  // copy and must fall back to the good one.
  int corrupted = 0;
  for (const auto& [chunk, peers] : holders({0, 1, 2, 3, 4})) {
    std::vector<int> others;
    for (int p : peers) if (p != reader) others.push_back(p);
    std::sort(others.begin(), others.end(),
              [&](int a, int b) { return xor_distance(chunk, node_id(a)) < xor_distance(chunk, node_id(b)); });
    for (std::size_t k = 0; k + 1 < others.size(); ++k) {
      for (const auto& [id, where] : dfs::testing::served_chunks_on_disk(data(others[k]))) {
        if (id.hex() == chunk) {
          ASSERT_TRUE(dfs::testing::flip_chunk_byte(where, 100)) << where.path;
        }
      }
      ++corrupted;
    }
  }
  ASSERT_GT(corrupted, 0);
  auto got = dfs_at(reader, {"get", id, "-o", dir_ + "/out"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_TRUE(read_file(dir_ + "/out") == content);
  int detected = 0;
  for (auto& [i, peer] : peers_) detected += peer->log().find("does not match its ID") != std::string::npos;
  EXPECT_GT(detected, 0) << "a peer asked for a bad copy reports it and serves nothing";
}

TEST_F(PeerNetwork, APeerRestartedOnItsDataDirectoryRejoinsWithTheSameId) {
  start_network(3);
  const std::string before = dfs_at(2, {"status"}).out;
  const auto id_line = before.substr(before.find("node ID:"), before.find('\n', before.find("node ID:")) - before.find("node ID:"));
  EXPECT_EQ(peers_[2]->stop(SIGTERM), 0) << "SIGTERM shuts a peer down cleanly";
  start_peer(2);
  const std::string after = dfs_at(2, {"status"}).out;
  EXPECT_NE(after.find(id_line), std::string::npos) << before << after;
  EXPECT_TRUE(eventually([&] { return known_peers(2) == 2; })) << dfs_at(2, {"peers"}).out;
}

// The field `name` of dfs status --json: a number, or a string's text.
std::string json_field(const std::string& json, const std::string& name) {
  const std::string key = "\"" + name + "\":";
  auto at = json.find(key);
  if (at == std::string::npos) return {};
  at += key.size();
  if (json[at] == '"') return json.substr(at + 1, json.find('"', at + 1) - at - 1);
  return json.substr(at, json.find_first_of(",}", at) - at);
}

TEST_F(PeerNetwork, StatusSaysDegradedWithTheChunksShortNowAndHealthyOnceRepairHealed) {
  start_network(4);
  put_at(0, write_file("f", random_content(4 << 20, 5)));  // 4 data chunks and the manifest
  std::string status;
  const auto verdict_at_0 = [&](const std::string& starts) {
    status = dfs_at(0, {"status", "--json"}).out;
    return json_field(status, "verdict").rfind(starts, 0) == 0;
  };
  ASSERT_TRUE(eventually([&] { return verdict_at_0("healthy: every chunk this peer holds has 3 copies"); }, 30s))
      << status;

  // Two live peers of four: no chunk can have 3 copies. Peer 0 holds all
  // 5 of its file's (its store and its cache).
  peers_[2]->stop(SIGKILL);
  peers_[3]->stop(SIGKILL);
  ASSERT_TRUE(eventually([&] { return verdict_at_0("degraded: 5 chunks have fewer than 3 copies"); }, 60s))
      << status;
  EXPECT_EQ(json_field(status, "under_replicated"), "5") << status;
  EXPECT_NE(json_field(status, "repair_copies_to_make"), "0") << status;
  for (int round = 0; round < 3; ++round) {
    const std::string rounds = json_field(status, "repair_rounds");
    ASSERT_TRUE(eventually([&] { return verdict_at_0("") && json_field(status, "repair_rounds") != rounds; }, 30s));
    EXPECT_EQ(json_field(status, "under_replicated"), "5") << "the chunks short now, not a running total";
  }
  EXPECT_NE(dfs_at(0, {"status"}).out.find("degraded: 5 chunks have fewer than 3 copies"), std::string::npos);

  start_peer(2);  // three live peers again: repair can heal
  EXPECT_TRUE(eventually([&] { return verdict_at_0("healthy"); }, 60s)) << status;
  EXPECT_EQ(json_field(status, "under_replicated"), "0") << status;
}

TEST_F(PeerNetwork, CheckFindsTheChunksOfAKilledPeerAndCheckRepairRestoresThreeCopies) {
  repair_interval_ = "3600";  // no repair round heals anything before dfs check does
  start_network(4);
  const std::string id = put_at(0, write_file("f", random_content(4 << 20, 6)));
  auto check = dfs_at(0, {"check", id});
  ASSERT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_NE(check.out.find("ok: all 5 chunks have 3 copies"), std::string::npos) << check.out;
  auto where = dfs_at(0, {"where", id});
  ASSERT_EQ(where.exit_code, 0) << where.err;
  EXPECT_NE(where.out.find("5 chunks, 0 with fewer than 3 copies"), std::string::npos) << where.out;

  // Kill the peer (other than the owner) whose store holds the most chunks.
  std::map<int, int> held;
  for (const auto& [chunk, peers] : holders({1, 2, 3})) for (int p : peers) ++held[p];
  const auto victim = std::max_element(held.begin(), held.end(), [](auto a, auto b) { return a.second < b.second; });
  peers_[victim->first]->stop(SIGKILL);
  check = dfs_at(0, {"check", id});
  EXPECT_EQ(check.exit_code, 1) << check.out << check.err;
  EXPECT_NE(check.out.find("short: " + std::to_string(victim->second) + " of 5 chunks have fewer than 3 copies"),
            std::string::npos)
      << check.out;
  auto json = dfs_at(0, {"where", "--chunks", "--json", id});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_NE(json.out.find("\"short_chunks\":" + std::to_string(victim->second)), std::string::npos) << json.out;
  EXPECT_NE(json.out.find("\"locations\":[{\"chunk_id\":"), std::string::npos) << json.out;

  check = dfs_at(0, {"check", "--repair", id});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_NE(check.out.find("ok: all 5 chunks have 3 copies ("), std::string::npos) << check.out;
  std::set<int> alive = {0, 1, 2, 3};
  alive.erase(victim->first);
  const auto placed = holders(alive);  // the served stores: the three live peers are every chunk's R closest
  EXPECT_EQ(placed.size(), 5u);
  for (const auto& [chunk, peers] : placed) EXPECT_EQ(peers, alive) << chunk;
  EXPECT_EQ(dfs_at(0, {"check", "--json", id}).exit_code, 0);
}

// Per-peer reachability (dfs peers, dfs status) from the routing table,
// and the chunks held for others against their budget in status --json.
TEST_F(PeerNetwork, PeersAndStatusShowEachPeersReachabilityAndAKilledPeerFailsOrLeaves) {
  start_network(3);
  auto peers = dfs_at(0, {"peers", "--json"});
  ASSERT_EQ(peers.exit_code, 0) << peers.err;
  for (int i : {1, 2}) {
    const auto at = peers.out.find("\"node_id\":\"" + node_id(i) + "\"");
    ASSERT_NE(at, std::string::npos) << peers.out;
    EXPECT_NE(peers.out.find("\"failures\":0", at), std::string::npos) << peers.out;
    EXPECT_NE(peers.out.find("\"last_seen_seconds\":", at), std::string::npos) << peers.out;
  }
  put_at(1, write_file("f", random_content(2 << 20, 8)));  // chunks held for peer 1 at the others
  const std::string status = dfs_at(0, {"status", "--json"}).out;
  EXPECT_NE(status.find("\"held_budget_bytes\":"), std::string::npos) << status;
  EXPECT_NE(status.find("\"held_bytes\":"), std::string::npos) << status;
  EXPECT_NE(status.find("\"peer_list\":[{\"node_id\":"), std::string::npos) << status;
  ASSERT_TRUE(eventually([&] { return json_field(dfs_at(0, {"status", "--json"}).out, "held_chunks") != "0"; }))
      << "peer 0 is one of the 3 closest of every chunk of a 3-peer network";
  EXPECT_NE(dfs_at(0, {"status"}).out.find(node_id(2) + "  " + address(2) + "  heard from "), std::string::npos);

  peers_[2]->stop(SIGKILL);  // repair rounds (every second) ask it and fail
  std::string listing;
  EXPECT_TRUE(eventually([&] {
    listing = dfs_at(0, {"peers"}).out;
    const auto line = listing.find(node_id(2));
    return line == std::string::npos || listing.find("failed RPC", line) < listing.find('\n', line);
  }, 60s)) << listing;
}

// A directory ID: its snapshots (with the small files inlined in one),
// the pack of another's small files and the chunks of a large one are all
// checked, and repaired after a peer dies.
TEST_F(PeerNetwork, CheckOfADirectoryIdCoversItsPackedFilesAndCheckRepairRestoresThreeCopiesOfEach) {
  repair_interval_ = "3600";  // no repair round heals anything before dfs check does
  start_network(4);
  fs::create_directories(dir_ + "/tree/small");
  fs::create_directories(dir_ + "/tree/tiny");
  fs::create_directories(dir_ + "/tree/sub");
  // 320 KB of small files: past the inline limit (chunk/directory.hpp), a pack of their own.
  for (int i = 0; i < 40; ++i) write_file("tree/small/f" + std::to_string(i), random_content(8000, 100 + i));
  for (int i = 0; i < 4; ++i) write_file("tree/tiny/t" + std::to_string(i), "tiny " + std::to_string(i));
  write_file("tree/sub/large", random_content(300000, 7));  // not packed: a manifest and a chunk
  auto put = dfs_at(0, {"put", "-r", dir_ + "/tree"});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  const std::string id = put.out.substr(0, put.out.find('\n'));

  // 4 snapshots (tiny's files inside its own), 1 pack, the large file's
  // manifest and data chunk.
  auto check = dfs_at(0, {"check", id});
  ASSERT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_NE(check.out.find("ok: all 7 chunks (45 files) have 3 copies"), std::string::npos) << check.out;
  auto where = dfs_at(0, {"where", id});
  ASSERT_EQ(where.exit_code, 0) << where.err;
  EXPECT_NE(where.out.find("a tree of 45 files, 7 chunks, 0 with fewer than 3 copies"), std::string::npos)
      << where.out;

  std::map<int, int> held;
  for (const auto& [chunk, peers] : holders({1, 2, 3})) for (int p : peers) ++held[p];
  const auto victim = std::max_element(held.begin(), held.end(), [](auto a, auto b) { return a.second < b.second; });
  peers_[victim->first]->stop(SIGKILL);
  check = dfs_at(0, {"check", "--json", id});
  EXPECT_EQ(check.exit_code, 1) << check.out << check.err;
  EXPECT_NE(check.out.find("\"files\":45"), std::string::npos) << check.out;
  EXPECT_NE(check.out.find("\"short_chunks\":" + std::to_string(victim->second)), std::string::npos) << check.out;

  check = dfs_at(0, {"check", "--repair", id});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_NE(check.out.find("ok: all 7 chunks (45 files) have 3 copies ("), std::string::npos) << check.out;
  std::set<int> alive = {0, 1, 2, 3};
  alive.erase(victim->first);
  const auto placed = holders(alive);
  EXPECT_EQ(placed.size(), 7u);
  for (const auto& [chunk, peers] : placed) EXPECT_EQ(peers, alive) << chunk;
}

}  // namespace
}  // namespace dfs::testing
