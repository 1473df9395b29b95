// dfs-bench-dht-sim: Kademlia lookup cost on the simulator (DESIGN.md §7).
//
// For each network size N it joins N nodes one by one (k = 20, alpha = 3,
// latency 5-50 ms, no loss), then runs lookups for random targets from
// random nodes and prints one line per N: hops and messages per lookup
// (mean and 95th percentile) next to log2(N), the share of lookups that
// returned exactly the true k closest, the virtual lookup latency (also in
// round trips, against the target of issue 16: median <= hops + 1), and
// the wall time spent; once for strict lookups (the k closest) and once
// for settled ones (the R = --settle closest, what a chunk fetch needs).
//
//   dfs-bench-dht-sim [--lookups L] [--seed S] [--settle R] [N ...]   (default N: 100 1000 2000 10000)
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
  std::size_t settle = 3;  // the settled mode's width (R)
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

struct Measured {
  std::vector<double> hops, messages, latency_ms;
  std::size_t exact = 0;  // lookups whose first `want` results are the true `want` closest
  double exact_rate() const { return hops.empty() ? 0 : static_cast<double>(exact) / static_cast<double>(hops.size()); }
};

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Lookups for random targets from random nodes; `settle` as for
// Dht::find_closest (0: strict, checked on all k).
Measured measure(dfs::sim::SimCluster& cluster, std::size_t settle, std::size_t lookups) {
  const std::size_t want = settle > 0 ? settle : cluster.dht(0).config().k;
  Measured m;
  for (std::size_t i = 0; i < lookups; ++i) {
    const std::size_t from = cluster.random_live_node();
    const NodeId target = NodeId::random(cluster.rng());
    auto outcome = cluster.lookup(from, target, settle);
    if (!outcome) continue;
    m.hops.push_back(static_cast<double>(outcome->stats.hops));
    m.messages.push_back(static_cast<double>(outcome->stats.messages));
    m.latency_ms.push_back(static_cast<double>(outcome->stats.duration.count()));
    auto truth = cluster.true_closest(target, want + 1, false);
    std::erase(truth, cluster.contact(from).id);
    truth.resize(std::min(truth.size(), want));
    std::vector<NodeId> got;
    for (const auto& c : outcome->closest) got.push_back(c.id);
    got.resize(std::min(got.size(), want));
    m.exact += got == truth ? 1 : 0;
  }
  return m;
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
  const double join_wall = std::chrono::duration<double>(Clock::now() - wall_start).count();
  std::printf("N=%-6zu log2(N)=%5.2f\n", n, std::log2(static_cast<double>(n)));

  // Latency in round trips: a message takes 5-50 ms each way, so a round
  // trip takes 55 ms on average.
  const auto& net = config.network;
  const double mean_rtt_ms = static_cast<double>((net.min_latency + net.max_latency).count());
  for (const std::size_t settle : {std::size_t{0}, options.settle}) {
    const Measured m = measure(cluster, settle, options.lookups);
    const double rounds = median(m.latency_ms) / mean_rtt_ms;
    const double hops_median = median(m.hops);
    std::printf("  %-9s hops mean %4.2f p95 %2.0f  messages mean %5.1f p95 %3.0f  exact %5.1f%%  "
                "latency mean %4.0f ms, median %.1f round trips (target <= hops + 1 = %.0f: %s)\n",
                settle == 0 ? "strict" : ("settle " + std::to_string(settle)).c_str(), mean(m.hops), p95(m.hops),
                mean(m.messages), p95(m.messages), 100.0 * m.exact_rate(), mean(m.latency_ms), rounds,
                hops_median + 1, rounds <= hops_median + 1 ? "PASS" : "MISS");
  }
  std::printf("  (join %.1fs, total %.1fs wall)\n", join_wall,
              std::chrono::duration<double>(Clock::now() - wall_start).count());
  std::fflush(stdout);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--lookups" || arg == "--seed" || arg == "--settle") && i + 1 < argc) {
      const auto value = std::strtoull(argv[++i], nullptr, 10);
      if (arg == "--lookups") options.lookups = value;
      else if (arg == "--settle") options.settle = std::max<std::size_t>(1, value);
      else options.seed = value;
    } else if (arg == "--help" || arg == "-h") {
      std::printf("usage: %s [--lookups L] [--seed S] [--settle R] [N ...]\n", argv[0]);
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
