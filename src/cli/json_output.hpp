// --json output of dfs status and dfs peers: one JSON object (or array) on
// one line, the same figures as the text, for scripts and monitoring.
#pragma once

#include <string>
#include <vector>

#include "dfs/node/service.hpp"

namespace dfs::cli {

// `text` as a JSON string literal, quotes included.
std::string json_string(const std::string& text);

// `peers`: the running peer's (dfs peers), as "peer_list".
std::string status_json(const node::ServiceStatus& status, const std::vector<node::PeerSummary>& peers);
std::string peers_json(const std::vector<node::PeerSummary>& peers);

}  // namespace dfs::cli
