#include "json_output.hpp"

#include <cstdio>

#include "health_output.hpp"

namespace dfs::cli {

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", byte);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

namespace {

std::string field(const char* name, const std::string& json_value) { return json_string(name) + ":" + json_value; }
std::string number(std::uint64_t n) { return std::to_string(n); }

}  // namespace

std::string status_json(const node::ServiceStatus& s, const std::vector<node::PeerSummary>& peers) {
  std::string out = "{";
  out += field("data_dir", json_string(s.data_dir));
  out += health_json_fields(s);
  out += "," + field("networked", s.networked ? "true" : "false");
  if (s.networked) {
    out += "," + field("node_id", json_string(s.node_id));
    out += "," + field("listen", json_string(s.listen_address));
    out += "," + field("peers", number(s.peers));
    out += "," + field("reachable", json_string(s.reachable));
    out += "," + field("replicas", number(s.replicas));
    out += "," + field("repair_copies", number(s.repair_copies));
    out += "," + field("leases_expire_from", number(static_cast<std::uint64_t>(s.leases_expire_from)));
    out += "," + field("last_snapshot_at", number(static_cast<std::uint64_t>(s.last_snapshot.taken_at)));
    out += "," + field("last_snapshot_files", number(s.last_snapshot.files));
    out += "," + field("snapshot_sequence", number(s.snapshot_sequence));
    out += "," + field("held_chunks", number(s.held.chunks));
    out += "," + field("held_bytes", number(s.held.bytes));
    out += "," + field("held_budget_bytes", number(s.held.quota_bytes));
    out += "," + field("peer_list", peers_json(peers));
  }
  out += "," + field("files", number(s.files));
  out += "," + field("chunks_stored", number(s.usage.chunks));
  out += "," + field("bytes_stored", number(s.usage.bytes));
  out += "," + field("chunks_cached", number(s.cache.chunks));
  out += "," + field("bytes_cached", number(s.cache.bytes));
  out += "," + field("chunks_in_use", number(s.referenced_chunks));
  out += "," + field("quota_bytes", number(s.usage.quota_bytes));
  return out + "}";
}

std::string peers_json(const std::vector<node::PeerSummary>& peers) {
  std::string out = "[";
  for (std::size_t i = 0; i < peers.size(); ++i) {
    if (i > 0) out += ",";
    out += "{" + field("node_id", json_string(peers[i].node_id)) + "," +
           field("address", json_string(peers[i].address)) + "," +
           field("last_seen_seconds", number(peers[i].last_seen_seconds)) + "," +
           field("failures", number(peers[i].failures)) + "}";
  }
  return out + "]";
}

}  // namespace dfs::cli
