// Tests that watch the leases a running peer grants (node/leases.hpp): asked
// of the peer over its control socket (node::Service::leases), since the
// peer holds its index exclusively.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "dfs/chunk/chunk_id.hpp"
#include "dfs/control/control.hpp"
#include "dfs/control/control_channel.hpp"

namespace dfs::testing {

// When the lease the peer running on `data_dir` holds on `id` ends (Unix
// seconds); nullopt when it holds none or cannot be asked.
inline std::optional<std::int64_t> lease_expiry(const std::string& data_dir, const ChunkId& id) {
  auto client = control::ControlClient::connect(control::control_socket_path(data_dir));
  if (!client.ok() || !*client) return std::nullopt;
  auto ends = (**client)->leases({id});
  if (!ends.ok() || ends->size() != 1) return std::nullopt;
  return ends->front();
}

}  // namespace dfs::testing
