// Index: what keeps a chunk from GC — references from the files of this
// peer (each files row's own manifest chunk, and chunk_refs), from the mount's cached directory snapshots
// (dir_snapshot_chunks), from its retained namespace snapshots
// (released_chunks) and leases on chunks held for other peers (leases) —
// and the questions GC asks of them.
#include "dfs/index/index.hpp"
#include "dfs/index/sqlite.hpp"
#include "rows.hpp"

namespace dfs::index {

Result<bool> Index::is_referenced(const ChunkId& chunk) {
  std::lock_guard lock(mu_);
  DFS_ASSIGN_OR_RETURN(auto found,
                       rows::query_int(*db_,
                                       "SELECT 1 FROM chunk_refs WHERE chunk_id = ?1 "
                                       "UNION ALL SELECT 1 FROM files WHERE manifest_id = ?1 "
                                       "UNION ALL SELECT 1 FROM dir_snapshot_chunks WHERE chunk_id = ?1 "
                                       "UNION ALL SELECT 1 FROM released_chunks WHERE chunk_id = ?1 LIMIT 1",
                                       chunk.bytes));
  return found.has_value();
}

Result<std::vector<ChunkId>> Index::without_rows(std::string_view probe_sql, const std::vector<ChunkId>& candidates,
                                                 std::int64_t now) {
  // A read transaction: every candidate is judged against the same state,
  // even if another process records files meanwhile.
  DFS_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(*db_, Transaction::Mode::deferred));
  DFS_ASSIGN_OR_RETURN(Statement probe, db_->prepare(probe_sql));
  std::vector<ChunkId> kept_by_nothing;
  for (const ChunkId& chunk : candidates) {
    DFS_TRY(probe.bind_all(chunk.bytes, now));
    DFS_ASSIGN_OR_RETURN(bool row, probe.step());
    probe.reset();
    if (!row) kept_by_nothing.push_back(chunk);
  }
  DFS_TRY(tx.commit());
  return kept_by_nothing;
}

Result<std::vector<ChunkId>> Index::unreferenced(const std::vector<ChunkId>& candidates) {
  std::lock_guard lock(mu_);
  // ?2 is bound but unused: one helper serves both probes.
  return without_rows(
      "SELECT 1 FROM chunk_refs WHERE chunk_id = ?1 AND ?2 IS NOT NULL "
      "UNION ALL SELECT 1 FROM files WHERE manifest_id = ?1 "
      "UNION ALL SELECT 1 FROM dir_snapshot_chunks WHERE chunk_id = ?1 "
      "UNION ALL SELECT 1 FROM released_chunks WHERE chunk_id = ?1 LIMIT 1",
      candidates, 0);
}

Result<std::vector<ChunkId>> Index::collectable(const std::vector<ChunkId>& candidates, std::int64_t now_unix) {
  std::lock_guard lock(mu_);
  return without_rows(
      "SELECT 1 FROM chunk_refs WHERE chunk_id = ?1 "
      "UNION ALL SELECT 1 FROM files WHERE manifest_id = ?1 "
      "UNION ALL SELECT 1 FROM dir_snapshot_chunks WHERE chunk_id = ?1 "
      "UNION ALL SELECT 1 FROM released_chunks WHERE chunk_id = ?1 "
      "UNION ALL SELECT 1 FROM leases WHERE chunk_id = ?1 AND expires_at > ?2 LIMIT 1",
      candidates, now_unix);
}

Result<std::uint64_t> Index::retain_snapshots(std::optional<std::int64_t> oldest_taken_at) {
  std::lock_guard lock(mu_);
  DFS_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(*db_));
  DFS_TRY(rows::execute(*db_, "DELETE FROM snapshot_retention"));
  DFS_TRY(rows::execute(*db_, "INSERT INTO snapshot_retention (oldest_taken_at) VALUES (?)", oldest_taken_at));
  std::uint64_t released = 0;
  if (oldest_taken_at) {
    // Strictly before: what was let go in the second a snapshot began may be in it.
    DFS_TRY(rows::execute(*db_, "DELETE FROM released_chunks WHERE released_at < ?", *oldest_taken_at));
    released = static_cast<std::uint64_t>(db_->changes());
  }
  DFS_TRY(tx.commit());
  return released;
}

Status Index::stop_retaining_snapshots() {
  std::lock_guard lock(mu_);
  DFS_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(*db_));
  DFS_TRY(rows::execute(*db_, "DELETE FROM snapshot_retention"));
  DFS_TRY(rows::execute(*db_, "DELETE FROM released_chunks"));
  return tx.commit();
}

Status Index::extend_leases(const std::vector<ChunkId>& chunks, std::int64_t expires_at_unix) {
  std::lock_guard lock(mu_);
  DFS_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(*db_));
  // One statement reused for every row: compiled once, not per chunk.
  DFS_ASSIGN_OR_RETURN(Statement upsert, db_->prepare("INSERT INTO leases (chunk_id, expires_at) VALUES (?, ?) "
                                                      "ON CONFLICT (chunk_id) DO UPDATE SET "
                                                      "expires_at = max(expires_at, excluded.expires_at)"));
  for (const ChunkId& chunk : chunks) {
    DFS_TRY(upsert.bind_all(chunk.bytes, expires_at_unix));
    DFS_TRY(upsert.run());
    upsert.reset();
  }
  return tx.commit();
}

Status Index::extend_leases(const std::vector<LeaseGrant>& grants, std::int64_t expires_at_unix) {
  std::lock_guard lock(mu_);
  DFS_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(*db_));
  DFS_ASSIGN_OR_RETURN(Statement upsert,
                       db_->prepare("INSERT INTO leases (chunk_id, expires_at, placer, placer_key) VALUES (?, ?, ?, ?) "
                                    "ON CONFLICT (chunk_id) DO UPDATE SET "
                                    "expires_at = max(expires_at, excluded.expires_at), "
                                    "placer = coalesce(excluded.placer, placer), "
                                    "placer_key = coalesce(placer_key, excluded.placer_key)"));
  for (const LeaseGrant& grant : grants) {
    // none: NULL, keeps the placer (and its key) recorded
    DFS_TRY(upsert.bind_all(grant.chunk.bytes, expires_at_unix, grant.placer, grant.placer_key));
    DFS_TRY(upsert.run());
    upsert.reset();
  }
  return tx.commit();
}

// Runs `sql` (parameters: expiry, then `extra` if it has one, then the
// chunk ID, then `who`) once per chunk, in one transaction.
Status Index::renew_each(const char* sql, const std::vector<ChunkId>& chunks, std::int64_t expires_at_unix,
                         const std::optional<Key32>& extra, const Key32& who) {
  std::lock_guard lock(mu_);
  DFS_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(*db_));
  DFS_ASSIGN_OR_RETURN(Statement update, db_->prepare(sql));
  for (const ChunkId& chunk : chunks) {
    if (extra) {
      DFS_TRY(update.bind_all(expires_at_unix, *extra, chunk.bytes, who));
    } else {
      DFS_TRY(update.bind_all(expires_at_unix, chunk.bytes, who));
    }
    DFS_TRY(update.run());
    update.reset();
  }
  return tx.commit();
}

Status Index::renew_leases_placed_by(const std::vector<ChunkId>& chunks, const Key32& placer,
                                     std::int64_t expires_at_unix, const std::optional<Key32>& placer_key) {
  if (placer_key) {
    return renew_each("UPDATE leases SET expires_at = max(expires_at, ?), placer_key = coalesce(placer_key, ?) "
                      "WHERE chunk_id = ? AND placer = ?",
                      chunks, expires_at_unix, placer_key, placer);
  }
  return renew_each("UPDATE leases SET expires_at = max(expires_at, ?) WHERE chunk_id = ? AND placer = ?", chunks,
                    expires_at_unix, std::nullopt, placer);
}

Status Index::renew_leases_keyed(const std::vector<ChunkId>& chunks, const Key32& placer_key,
                                 std::int64_t expires_at_unix) {
  return renew_each("UPDATE leases SET expires_at = max(expires_at, ?) WHERE chunk_id = ? AND placer_key = ?", chunks,
                    expires_at_unix, std::nullopt, placer_key);
}

Result<std::optional<Index::Key32>> Index::lease_placer_key(const ChunkId& chunk) {
  std::lock_guard lock(mu_);
  DFS_ASSIGN_OR_RETURN(Statement stmt, db_->prepare("SELECT placer_key FROM leases WHERE chunk_id = ?"));
  DFS_TRY(stmt.bind_all(chunk.bytes));
  DFS_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row || stmt.column_is_null(0)) return std::optional<Key32>();
  DFS_ASSIGN_OR_RETURN(auto key, rows::read_array<32>(stmt, 0, "placer key"));
  return std::optional<Key32>(key);
}

Result<bool> Index::is_leased(const ChunkId& chunk, std::int64_t now_unix) {
  std::lock_guard lock(mu_);
  DFS_ASSIGN_OR_RETURN(auto found, rows::query_int(*db_, "SELECT 1 FROM leases WHERE chunk_id = ? AND expires_at > ?",
                                                   chunk.bytes, now_unix));
  return found.has_value();
}

Result<std::optional<Index::LeaseRow>> Index::lease_of(const ChunkId& chunk) {
  std::lock_guard lock(mu_);
  DFS_ASSIGN_OR_RETURN(Statement stmt, rows::prepare_bound(*db_, "SELECT expires_at, placer_key FROM leases WHERE chunk_id = ?",
                                                           chunk.bytes));
  DFS_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return std::optional<LeaseRow>();
  LeaseRow lease{stmt.column_int64(0), std::nullopt};
  if (!stmt.column_is_null(1)) {
    DFS_ASSIGN_OR_RETURN(lease.placer_key, rows::read_array<32>(stmt, 1, "placer key"));
  }
  return std::optional<LeaseRow>(lease);
}

Result<std::uint64_t> Index::drop_expired_leases(std::int64_t now_unix) {
  std::lock_guard lock(mu_);
  DFS_TRY(rows::execute(*db_, "DELETE FROM leases WHERE expires_at <= ?", now_unix));
  return static_cast<std::uint64_t>(db_->changes());
}

Result<bool> Index::leases_to_grant() {
  std::lock_guard lock(mu_);
  DFS_ASSIGN_OR_RETURN(auto pending, rows::query_int(*db_, "SELECT 1 FROM leases_to_grant LIMIT 1"));
  return pending.has_value();
}

Status Index::leases_granted() {
  std::lock_guard lock(mu_);
  return rows::execute(*db_, "DELETE FROM leases_to_grant");
}

Result<std::vector<ChunkId>> Index::referenced_chunks() {
  std::lock_guard lock(mu_);
  DFS_ASSIGN_OR_RETURN(Statement stmt, db_->prepare("SELECT chunk_id FROM chunk_refs UNION SELECT manifest_id FROM files "
                                                    "UNION SELECT chunk_id FROM dir_snapshot_chunks "
                                                    "UNION SELECT chunk_id FROM released_chunks"));
  std::vector<ChunkId> chunks;
  for (;;) {
    DFS_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) return chunks;
    DFS_ASSIGN_OR_RETURN(ChunkId chunk, rows::read_id(stmt, 0, "chunk ID"));
    chunks.push_back(chunk);
  }
}

Result<std::uint64_t> Index::referenced_chunk_count() {
  std::lock_guard lock(mu_);
  DFS_ASSIGN_OR_RETURN(std::int64_t count, db_->query_int64("SELECT count(*) FROM (SELECT chunk_id FROM chunk_refs "
                                                                   "UNION SELECT manifest_id FROM files "
                                                                   "UNION SELECT chunk_id FROM dir_snapshot_chunks "
                                                                   "UNION SELECT chunk_id FROM released_chunks)"));
  return static_cast<std::uint64_t>(count);
}

}  // namespace dfs::index
