// dfs-bench-lookups: DHT lookup latency as a peer of a running network
// sees it. A peer of its own (a data directory, an address, the network
// key) joins through a seed, waits until its routing table knows --peers
// others, runs --warmup lookups of random keys (so that the connections
// their TLS handshakes open are pooled, as in a running network), then
// --lookups more, one after another, each timed around the call (a
// FIND_VALUE of a key nobody published: the iterative lookup over the k
// closest, as a fetch's). Used by bench/wan.sh inside the reader's network
// namespace, where a peer's own `dfs status` holds only the few lookups of
// its join and of a get.
//
// stdout, one line of key=value pairs for scripts:
//   lookups=N median_ms=... p90_ms=... min_ms=... max_ms=... hops=H peers=P
// where hops is the median of the peer's last 256 lookups (dfs status's).
//
// Usage: dfs-bench-lookups --data DIR --listen HOST:PORT --bootstrap HOST:PORT
//          --network-key FILE [--peers N] [--warmup N] [--lookups N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "dfs/dht/node_id.hpp"
#include "dfs/p2p/peer.hpp"
#include "dfs/store/memory_chunk_store.hpp"

namespace {

using Clock = std::chrono::steady_clock;

int usage() {
  std::fprintf(stderr,
               "usage: dfs-bench-lookups --data DIR --listen HOST:PORT --bootstrap HOST:PORT --network-key FILE\n"
               "         [--peers N] [--warmup N] [--lookups N]\n");
  return 2;
}

// The median hops of "DHT lookups: ...; the last M: median X ms, H hops, ..."
// (dht::describe_lookups), or -1.
int hops_in(const std::vector<std::string>& lines) {
  for (const std::string& line : lines) {
    const auto ms = line.find(" ms, ");
    if (line.rfind("DHT lookups:", 0) != 0 || ms == std::string::npos) continue;
    return std::atoi(line.c_str() + ms + 5);
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  dfs::p2p::PeerOptions options;
  std::string key_file;
  std::size_t peers = 1, warmup = 16, lookups = 64;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--data") {
      options.data_dir = value;
    } else if (flag == "--listen") {
      options.listen = value;
    } else if (flag == "--bootstrap") {
      options.bootstrap.push_back(value);
    } else if (flag == "--network-key") {
      key_file = value;
    } else if (flag == "--peers") {
      peers = std::strtoull(value.c_str(), nullptr, 10);
    } else if (flag == "--warmup") {
      warmup = std::strtoull(value.c_str(), nullptr, 10);
    } else if (flag == "--lookups") {
      lookups = std::strtoull(value.c_str(), nullptr, 10);
    } else {
      return usage();
    }
  }
  if (argc % 2 == 0 || options.data_dir.empty() || options.bootstrap.empty() || lookups == 0) return usage();
  if (!key_file.empty()) {
    auto key = dfs::p2p::read_network_key(key_file);
    if (!key.ok()) {
      std::fprintf(stderr, "dfs-bench-lookups: %s\n", key.error().to_string().c_str());
      return 1;
    }
    options.network_key = std::move(*key);
  }
  dfs::store::MemoryChunkStore store;
  auto peer = dfs::p2p::Peer::start(options, store);
  if (!peer.ok()) {
    std::fprintf(stderr, "dfs-bench-lookups: %s\n", peer.error().to_string().c_str());
    return 1;
  }
  const auto joined_by = Clock::now() + std::chrono::seconds(120);
  while ((*peer)->status().peers < peers) {
    if (Clock::now() > joined_by) {
      std::fprintf(stderr, "dfs-bench-lookups: knows %u of %zu peers after 120 s\n", (*peer)->status().peers, peers);
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // polling a live network, not a test
  }
  std::mt19937_64 rng(std::random_device{}());
  std::vector<double> ms;
  for (std::size_t i = 0; i < warmup + lookups; ++i) {
    const dfs::dht::NodeId key = dfs::dht::NodeId::random(rng);
    const auto start = Clock::now();
    (void)(*peer)->find(key);  // not_found: nobody published under a random key
    if (i >= warmup) ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  const dfs::replicate::NetworkStatus status = (*peer)->status();
  std::printf("lookups=%zu median_ms=%.1f p90_ms=%.1f min_ms=%.1f max_ms=%.1f hops=%d peers=%u\n", ms.size(),
              ms[ms.size() / 2], ms[ms.size() * 9 / 10], ms.front(), ms.back(), hops_in(status.limits), status.peers);
  (*peer)->stop();
  return 0;
}
