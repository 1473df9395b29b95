// dfs-bench-dht-sim: Kademlia lookup cost on the simulator (DESIGN.md §7).
//
// For each network size N it joins N nodes one by one (k = 20, alpha = 3,
// latency 5-50 ms, no loss), then runs lookups for random targets from
// random nodes and prints one line per N: hops and messages per lookup
// (mean and 95th percentile) next to log2(N), the share of lookups that
// returned exactly the true k closest, the virtual lookup latency, and the
// wall time spent.
//
//   dfs-bench-dht-sim [--lookups L] [--seed S] [N ...]   (default N: 100 1000 2000 10000)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "sim/sim_cluster.hpp"

namespace {

using dfs::dht::NodeId;

struct Options {
  std::vector<std::size_t> sizes;
  std::size_t lookups = 1000;
  std::uint64_t seed = 1;
};

double mean(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return v.empty() ? 0 : sum / static_cast<double>(v.size());
}

double p95(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(std::ceil(0.95 * static_cast<double>(v.size()))) - 1)];
}

bool run(std::size_t n, const Options& options) {
  using Clock = std::chrono::steady_clock;
  const auto wall_start = Clock::now();
  dfs::sim::ClusterConfig config;
  config.seed = options.seed + n;
  dfs::sim::SimCluster cluster(config);
  if (!cluster.grow(n)) {
    std::fprintf(stderr, "N=%zu: a node failed to join\n", n);
    return false;
  }
  const double join_seconds = std::chrono::duration<double>(Clock::now() - wall_start).count();

  const std::size_t k = cluster.dht(0).config().k;
  std::vector<double> hops, messages, latency_ms;
  std::size_t exact = 0;
  for (std::size_t i = 0; i < options.lookups; ++i) {
    const std::size_t from = cluster.random_live_node();
    const NodeId target = NodeId::random(cluster.rng());
    auto outcome = cluster.lookup(from, target);
    if (!outcome) continue;
    hops.push_back(static_cast<double>(outcome->stats.hops));
    messages.push_back(static_cast<double>(outcome->stats.messages));
    latency_ms.push_back(static_cast<double>(outcome->stats.duration.count()));
    auto truth = cluster.true_closest(target, k + 1, false);
    std::erase(truth, cluster.contact(from).id);
    truth.resize(std::min(truth.size(), k));
    std::vector<NodeId> got;
    for (const auto& c : outcome->closest) got.push_back(c.id);
    exact += got == truth ? 1 : 0;
  }
  const double total_seconds = std::chrono::duration<double>(Clock::now() - wall_start).count();
  std::printf("N=%-6zu log2(N)=%5.2f  hops mean %4.2f p95 %2.0f  messages mean %5.1f p95 %3.0f  "
              "exact-k %5.1f%%  latency mean %4.0f ms  (join %.1fs, total %.1fs wall)\n",
              n, std::log2(static_cast<double>(n)), mean(hops), p95(hops), mean(messages), p95(messages),
              100.0 * static_cast<double>(exact) / static_cast<double>(std::max<std::size_t>(hops.size(), 1)),
              mean(latency_ms), join_seconds, total_seconds);
  std::fflush(stdout);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--lookups" || arg == "--seed") && i + 1 < argc) {
      const auto value = std::strtoull(argv[++i], nullptr, 10);
      if (arg == "--lookups") options.lookups = value;
      else options.seed = value;
    } else if (arg == "--help" || arg == "-h") {
      std::printf("usage: %s [--lookups L] [--seed S] [N ...]\n", argv[0]);
      return 0;
    } else {
      options.sizes.push_back(std::strtoull(arg.c_str(), nullptr, 10));
    }
  }
  if (options.sizes.empty()) options.sizes = {100, 1000, 2000, 10000};
  std::printf("dfs-bench-dht-sim: k=20 alpha=3, latency 5-50 ms, no loss, %zu lookups per N\n", options.lookups);
  bool ok = true;
  for (std::size_t n : options.sizes) ok = run(n, options) && ok;
  return ok ? 0 : 1;
}
