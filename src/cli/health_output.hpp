// Replication health at a glance (dfs status): a one-line verdict first,
// then the figures behind it, from what the repair rounds last found
// (replicate/repair_health.hpp). Text and JSON say the same.
#pragma once

#include <string>

#include "dfs/node/service.hpp"

namespace dfs::cli {

// "healthy: …", "degraded: …", "checking: …" or "alone: …", on one line.
std::string health_verdict(const node::ServiceStatus& status);
// The text lines under the verdict (networked peers only).
void print_health(const node::ServiceStatus& status);
// `,"verdict":…,"under_replicated":…` fields for status --json.
std::string health_json_fields(const node::ServiceStatus& status);

// "heard from 12 s ago", "3 failed RPCs in a row, heard from 5 min ago":
// when it last answered or sent a DHT request, and what failed since.
std::string reachability(const node::PeerSummary& peer);
// One line per peer, "NODE_ID  ADDRESS  REACHABILITY" after `indent`, the
// first `max_lines` of them and how many more (dfs status; dfs peers
// lists them all).
void print_peers(const std::vector<node::PeerSummary>& peers, std::size_t max_lines, const char* indent);

}  // namespace dfs::cli
