#include "health_output.hpp"

#include <cstdio>

#include "json_output.hpp"

namespace dfs::cli {

namespace {

unsigned long long count(std::uint64_t n) { return static_cast<unsigned long long>(n); }

std::string plural(std::uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string duration(std::chrono::seconds s) {
  const auto n = s.count();
  if (n < 120) return std::to_string(n) + " s";
  if (n < 7200) return std::to_string(n / 60) + " min";
  return std::to_string(n / 3600) + " h";
}

}  // namespace

std::string health_verdict(const node::ServiceStatus& s) {
  if (!s.networked) return "alone: every chunk has one copy, on this peer (no network)";
  const replicate::HealthSnapshot& h = s.health;
  const std::string copies = plural(s.replicas, "copy", "copies");
  if (h.rounds == 0) return "checking: no repair round has finished yet (--repair-interval)";
  if (h.under_replicated == 0) {
    return "healthy: every chunk this peer holds has " + copies;
  }
  return "degraded: " + plural(h.under_replicated, "chunk has", "chunks have") + " fewer than " + copies +
         " (for " + duration(h.oldest) + "), repairing at " + std::to_string(h.copies_last_minute) +
         " copies/min, " + plural(h.copies_missing, "copy", "copies") + " to make";
}

void print_health(const node::ServiceStatus& s) {
  if (!s.networked) return;
  const replicate::HealthSnapshot& h = s.health;
  std::printf("under-replicated: %llu chunks now", count(h.under_replicated));
  if (h.under_replicated > 0) std::printf(" (the oldest for %s)", duration(h.oldest).c_str());
  std::printf("\nrepair:          %llu copies to make, %llu made in the last minute, %llu since start, %llu rounds\n",
              count(h.copies_missing), count(h.copies_last_minute), count(s.repair_copies), count(h.rounds));
}

std::string health_json_fields(const node::ServiceStatus& s) {
  std::string out = ",\"verdict\":" + json_string(health_verdict(s));
  if (!s.networked) return out;
  const replicate::HealthSnapshot& h = s.health;
  const auto field = [](const char* name, std::uint64_t n) { return std::string(",\"") + name + "\":" + std::to_string(n); };
  out += field("under_replicated", h.under_replicated);
  out += field("oldest_under_replicated_seconds", static_cast<std::uint64_t>(h.oldest.count()));
  out += field("repair_copies_to_make", h.copies_missing);
  out += field("repair_copies_last_minute", h.copies_last_minute);
  out += field("repair_rounds", h.rounds);
  return out;
}

std::string reachability(const node::PeerSummary& p) {
  const std::string seen = "heard from " + duration(std::chrono::seconds(p.last_seen_seconds)) + " ago";
  if (p.failures == 0) return seen;
  return plural(p.failures, "failed RPC", "failed RPCs") + " in a row, " + seen;
}

void print_peers(const std::vector<node::PeerSummary>& peers, std::size_t max_lines, const char* indent) {
  for (std::size_t i = 0; i < peers.size(); ++i) {
    if (i == max_lines) {
      std::printf("%s... and %zu more (dfs peers lists them all)\n", indent, peers.size() - i);
      return;
    }
    std::printf("%s%s  %s  %s\n", indent, peers[i].node_id.c_str(), peers[i].address.c_str(),
                reachability(peers[i]).c_str());
  }
}

}  // namespace dfs::cli
