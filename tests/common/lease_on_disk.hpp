// Tests that watch the leases a running peer grants (node/leases.hpp): read
// from its index with a read-only connection of their own, as WAL mode
// lets a reader in beside the peer's writer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "dfs/util/bytes.hpp"

#include "dfs/chunk/chunk_id.hpp"
#include "dfs/index/sqlite.hpp"

namespace dfs::testing {

// When the lease `data_dir`'s peer holds on `id` ends (Unix seconds), as
// its index says (leases still buffered in memory are not there yet);
// nullopt when it records none or the index cannot be read.
inline std::optional<std::int64_t> lease_expiry(const std::string& data_dir, const ChunkId& id) {
  auto db = index::Database::open(data_dir + "/index.sqlite", SQLITE_OPEN_READONLY);
  if (!db.ok()) return std::nullopt;
  auto stmt = db->prepare("SELECT expires_at FROM leases WHERE chunk_id = ?");
  if (!stmt.ok() || !stmt->bind_all(id.bytes).ok()) return std::nullopt;
  auto row = stmt->step();
  if (!row.ok() || !*row) return std::nullopt;
  return stmt->column_int64(0);
}

// The lease key recorded with that lease (whose renewals it accepts,
// replicate/keyed_renewal.hpp): its bytes; nullopt when it records no
// lease, none with a key, or the index cannot be read.
inline std::optional<Bytes> lease_placer_key(const std::string& data_dir, const ChunkId& id) {
  auto db = index::Database::open(data_dir + "/index.sqlite", SQLITE_OPEN_READONLY);
  if (!db.ok()) return std::nullopt;
  auto stmt = db->prepare("SELECT placer_key FROM leases WHERE chunk_id = ?");
  if (!stmt.ok() || !stmt->bind_all(id.bytes).ok()) return std::nullopt;
  auto row = stmt->step();
  if (!row.ok() || !*row || stmt->column_is_null(0)) return std::nullopt;
  const ByteView key = stmt->column_blob(0);
  return Bytes(key.begin(), key.end());
}

}  // namespace dfs::testing
