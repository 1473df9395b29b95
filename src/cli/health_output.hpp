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

}  // namespace dfs::cli
