// The index's side of deferred durability (schema v4): namespace commits
// are written to the WAL without an fsync, content commits note what they
// replaced in unsynced_versions, and make_durable turns all of it durable
// in one step after the chunks are synced. Why: a close() that fsyncs the
// store and the WAL costs a few milliseconds, which is most of the cost of
// writing a small file; see README "Durability".
#include "dfs/index/index.hpp"
#include "dfs/index/sqlite.hpp"
#include "rows.hpp"

namespace dfs::index {

namespace {

constexpr std::string_view kUnsyncedColumns =
    "seq, ino, manifest_id, previous_manifest, previous_key, previous_size, previous_mtime_ns";

Result<UnsyncedVersion> read_unsynced_row(const Statement& stmt) {
  UnsyncedVersion v;
  DFS_ASSIGN_OR_RETURN(v.seq, rows::read_uint<std::uint64_t>(stmt, 0, "unsynced version number"));
  DFS_ASSIGN_OR_RETURN(v.ino, rows::read_uint<std::uint64_t>(stmt, 1, "inode number"));
  DFS_ASSIGN_OR_RETURN(v.manifest, rows::read_id(stmt, 2, "unsynced manifest ID"));
  if (!stmt.column_is_null(3)) {
    DFS_ASSIGN_OR_RETURN(v.previous_manifest, rows::read_id(stmt, 3, "previous manifest ID"));
  }
  if (!stmt.column_is_null(4)) {
    DFS_ASSIGN_OR_RETURN(v.previous_key, rows::read_array<crypto::kKeySize>(stmt, 4, "previous file key"));
  }
  DFS_ASSIGN_OR_RETURN(v.previous_size, rows::read_uint<std::uint64_t>(stmt, 5, "previous size"));
  v.previous_mtime_ns = stmt.column_int64(6);
  return v;
}

// Forgets the versions that the notes up to `cutoff` replaced or named, if
// no inode points at them any more (the release_version rule), except those
// a later note may still go back to; then deletes those notes. Returns
// how many notes it deleted.
Result<std::int64_t> settle_up_to(Database& db, std::int64_t cutoff) {
  DFS_TRY(rows::execute(db,
                        "DELETE FROM files WHERE manifest_id IN ("
                        "  SELECT previous_manifest FROM unsynced_versions WHERE seq <= ?1"
                        "  UNION SELECT manifest_id FROM unsynced_versions WHERE seq <= ?1) "
                        "AND files.from_mount = 1 "
                        "AND NOT EXISTS (SELECT 1 FROM inodes i WHERE i.manifest_id = files.manifest_id) "
                        "AND NOT EXISTS (SELECT 1 FROM pins p WHERE p.manifest_id = files.manifest_id) "
                        "AND NOT EXISTS (SELECT 1 FROM unsynced_versions u "
                        "                WHERE u.seq > ?1 AND u.previous_manifest = files.manifest_id)",
                        cutoff));
  DFS_TRY(rows::execute(db, "DELETE FROM unsynced_versions WHERE seq <= ?", cutoff));
  return db.changes();
}

}  // namespace

Status NamespaceTxn::record_unsynced_version(const UnsyncedVersion& v) {
  if (v.previous_manifest.has_value() != v.previous_key.has_value()) {
    return make_error(Errc::invalid_argument, "a previous manifest and its key are noted together or not at all");
  }
  DFS_ASSIGN_OR_RETURN(std::int64_t ino, rows::to_sql(v.ino, "inode number"));
  DFS_ASSIGN_OR_RETURN(std::int64_t size, rows::to_sql(v.previous_size, "previous size"));
  std::optional<ByteView> previous_manifest, previous_key;
  if (v.previous_manifest) previous_manifest = ByteView(v.previous_manifest->bytes);
  if (v.previous_key) previous_key = ByteView(*v.previous_key);
  return rows::execute(*db_,
                       "INSERT INTO unsynced_versions (ino, manifest_id, previous_manifest, previous_key, "
                       "previous_size, previous_mtime_ns) VALUES (?, ?, ?, ?, ?, ?)",
                       ino, v.manifest.bytes, previous_manifest, previous_key, size, v.previous_mtime_ns);
}

Result<std::vector<UnsyncedVersion>> Index::unsynced_versions() {
  std::lock_guard lock(mu_);
  DFS_ASSIGN_OR_RETURN(Statement stmt, db_->prepare("SELECT " + std::string(kUnsyncedColumns) +
                                                    " FROM unsynced_versions ORDER BY seq"));
  std::vector<UnsyncedVersion> out;
  for (;;) {
    DFS_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) return out;
    DFS_ASSIGN_OR_RETURN(UnsyncedVersion v, read_unsynced_row(stmt));
    out.push_back(std::move(v));
  }
}

Status Index::make_durable(const std::function<Status()>& sync_chunks) {
  unsynced_.store(false);  // a commit from here on raises it again
  Status done = [&]() -> Status {
    std::int64_t cutoff = 0;
    {
      std::lock_guard lock(mu_);
      DFS_ASSIGN_OR_RETURN(cutoff, db_->query_int64("SELECT coalesce(max(seq), 0) FROM unsynced_versions"));
    }
    // The chunks first: settling a note promises its version is on disk.
    if (sync_chunks) DFS_TRY(sync_chunks());
    std::lock_guard lock(mu_);
    if (cutoff == 0) return db_->sync_wal();
    DFS_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(*db_));
    DFS_ASSIGN_OR_RETURN(std::int64_t settled, settle_up_to(*db_, cutoff));
    DFS_TRY(tx.commit());  // synced: the WAL's fsync carries every deferred commit before it
    // A concurrent call settled them first: this commit wrote nothing, so
    // SQLite did not fsync.
    return settled > 0 ? Status{} : db_->sync_wal();
  }();
  if (!done.ok()) unsynced_.store(true);
  return done;
}

}  // namespace dfs::index
