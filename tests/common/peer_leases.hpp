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
#include "dfs/util/bytes.hpp"

namespace dfs::testing {

// The lease the peer running on `data_dir` holds on `id`; nullopt when it
// holds none or cannot be asked.
inline std::optional<node::HeldLease> held_lease(const std::string& data_dir, const ChunkId& id) {
  auto client = control::ControlClient::connect(control::control_socket_path(data_dir));
  if (!client.ok() || !*client) return std::nullopt;
  auto held = (**client)->leases({id});
  if (!held.ok() || held->size() != 1) return std::nullopt;
  return held->front();
}

// When that lease ends (Unix seconds).
inline std::optional<std::int64_t> lease_expiry(const std::string& data_dir, const ChunkId& id) {
  auto lease = held_lease(data_dir, id);
  if (!lease) return std::nullopt;
  return lease->expires_at;
}

// The lease key recorded with that lease (whose renewals it accepts,
// replicate/keyed_renewal.hpp): its bytes; nullopt when there is no
// lease, or none with a key.
inline std::optional<Bytes> lease_placer_key(const std::string& data_dir, const ChunkId& id) {
  auto lease = held_lease(data_dir, id);
  if (!lease || !lease->placer_key) return std::nullopt;
  return Bytes(lease->placer_key->begin(), lease->placer_key->end());
}

}  // namespace dfs::testing
