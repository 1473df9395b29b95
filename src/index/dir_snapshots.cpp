// Index: the snapshot builder's cache of directory manifests (schema v8).
#include "dfs/index/index.hpp"
#include "dfs/index/sqlite.hpp"
#include "rows.hpp"

namespace dfs::index {

Result<std::optional<DirSnapshotRecord>> Index::find_dir_snapshot(std::uint64_t ino, std::uint8_t scope) {
  std::lock_guard lock(mu_);
  DFS_ASSIGN_OR_RETURN(std::int64_t sql_ino, rows::to_sql(ino, "inode number"));
  DFS_ASSIGN_OR_RETURN(Statement stmt,
                       rows::prepare_bound(*db_,
                                           "SELECT fingerprint, manifest_id, file_key, size, files FROM dir_snapshots "
                                           "WHERE ino = ? AND scope = ?",
                                           sql_ino, std::int64_t{scope}));
  DFS_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return std::optional<DirSnapshotRecord>();
  DirSnapshotRecord record;
  record.ino = ino;
  record.scope = scope;
  DFS_ASSIGN_OR_RETURN(record.fingerprint, rows::read_array<crypto::kDigestSize>(stmt, 0, "snapshot fingerprint"));
  DFS_ASSIGN_OR_RETURN(record.manifest, rows::read_id(stmt, 1, "snapshot manifest ID"));
  DFS_ASSIGN_OR_RETURN(record.key, rows::read_array<crypto::kKeySize>(stmt, 2, "snapshot key"));
  DFS_ASSIGN_OR_RETURN(record.size, rows::read_uint<std::uint64_t>(stmt, 3, "snapshot size"));
  DFS_ASSIGN_OR_RETURN(record.files, rows::read_uint<std::uint64_t>(stmt, 4, "snapshot file count"));
  return std::optional<DirSnapshotRecord>(std::move(record));
}

Status Index::save_dir_snapshot(const DirSnapshotRecord& record) {
  std::lock_guard lock(mu_);
  DFS_ASSIGN_OR_RETURN(std::int64_t ino, rows::to_sql(record.ino, "inode number"));
  DFS_ASSIGN_OR_RETURN(std::int64_t size, rows::to_sql(record.size, "snapshot size"));
  DFS_ASSIGN_OR_RETURN(std::int64_t files, rows::to_sql(record.files, "snapshot file count"));
  const std::int64_t scope = record.scope;
  DFS_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(*db_));
  DFS_ASSIGN_OR_RETURN(auto exists, rows::query_int(*db_, "SELECT 1 FROM inodes WHERE ino = ?", ino));
  if (!exists) return make_error(Errc::not_found, "no inode " + std::to_string(record.ino) + " in the index");
  // Deleting the old row drops its segments (ON DELETE CASCADE).
  DFS_TRY(rows::execute(*db_, "DELETE FROM dir_snapshots WHERE ino = ? AND scope = ?", ino, scope));
  DFS_TRY(rows::execute(*db_,
                        "INSERT INTO dir_snapshots (ino, scope, fingerprint, manifest_id, file_key, size, files) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)",
                        ino, scope, record.fingerprint, record.manifest.bytes, record.key, size, files));
  DFS_ASSIGN_OR_RETURN(Statement insert, db_->prepare("INSERT OR IGNORE INTO dir_snapshot_chunks (chunk_id, ino, scope) "
                                                      "VALUES (?, ?, ?)"));
  for (const ChunkId& chunk : record.segments) {
    DFS_TRY(insert.bind_all(chunk.bytes, ino, scope));
    DFS_TRY(insert.run());
    insert.reset();
  }
  return tx.commit();
}

}  // namespace dfs::index
