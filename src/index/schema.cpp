#include "dfs/index/schema.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "dfs/index/index.hpp"
#include "dfs/index/sqlite.hpp"
#include "dfs/util/clock.hpp"
#include "dfs/util/log.hpp"

namespace dfs::index {

namespace {

// Schema v1. IDs and keys are 32-byte BLOBs (length-checked so that a bug
// cannot store a hex string); tables keyed by a BLOB are WITHOUT ROWID, so
// the primary key is the table and costs no second b-tree.
constexpr std::string_view kSchemaV1 = R"sql(
-- Files put by this peer: the manifest chunk ID and key (the file ID) plus
-- what listings show without fetching the manifest.
CREATE TABLE files (
  manifest_id BLOB    NOT NULL PRIMARY KEY CHECK (length(manifest_id) = 32),
  file_key    BLOB    NOT NULL CHECK (length(file_key) = 32),
  name        TEXT    NOT NULL,
  size        INTEGER NOT NULL CHECK (size >= 0),
  chunk_size  INTEGER NOT NULL CHECK (chunk_size > 0),
  chunk_count INTEGER NOT NULL CHECK (chunk_count >= 0),
  added_at    INTEGER NOT NULL
) WITHOUT ROWID;

-- Which file references which chunk: data chunks and the manifest's own
-- chunks. A chunk no row names is garbage; one that some row names must
-- be kept and its leases renewed.
CREATE TABLE chunk_refs (
  chunk_id    BLOB NOT NULL CHECK (length(chunk_id) = 32),
  manifest_id BLOB NOT NULL REFERENCES files (manifest_id) ON DELETE CASCADE,
  PRIMARY KEY (chunk_id, manifest_id)
) WITHOUT ROWID;
-- Lookups by chunk_id (GC) use the primary key, whose first column it is.
-- This index serves the other direction: forgetting a file cascades here.
CREATE INDEX chunk_refs_by_manifest ON chunk_refs (manifest_id);

-- Pinned files (kept locally in full). A row per pin, gone with its file.
CREATE TABLE pins (
  manifest_id BLOB    NOT NULL PRIMARY KEY REFERENCES files (manifest_id) ON DELETE CASCADE,
  pinned_at   INTEGER NOT NULL
) WITHOUT ROWID;

-- The mount's namespace. AUTOINCREMENT: inode numbers are never reused, so
-- a number the kernel still caches can never name a different file.
CREATE TABLE inodes (
  ino            INTEGER PRIMARY KEY AUTOINCREMENT,
  mode           INTEGER NOT NULL,
  uid            INTEGER NOT NULL,
  gid            INTEGER NOT NULL,
  nlink          INTEGER NOT NULL CHECK (nlink >= 0),
  size           INTEGER NOT NULL CHECK (size >= 0),
  atime_ns       INTEGER NOT NULL,
  mtime_ns       INTEGER NOT NULL,
  ctime_ns       INTEGER NOT NULL,
  rdev           INTEGER NOT NULL DEFAULT 0,
  manifest_id    BLOB    NULL CHECK (manifest_id IS NULL OR length(manifest_id) = 32),
  file_key       BLOB    NULL CHECK (file_key IS NULL OR length(file_key) = 32),
  symlink_target TEXT    NULL,
  generation     INTEGER NOT NULL DEFAULT 0,
  CHECK ((manifest_id IS NULL) = (file_key IS NULL))
);

-- Directory entries. No ON DELETE action: an inode that is still linked,
-- or a directory that still has entries, cannot be deleted.
CREATE TABLE entries (
  parent INTEGER NOT NULL REFERENCES inodes (ino),
  name   TEXT    NOT NULL CHECK (name NOT IN ('', '.', '..') AND instr(name, '/') = 0),
  ino    INTEGER NOT NULL REFERENCES inodes (ino),
  PRIMARY KEY (parent, name)
) WITHOUT ROWID;
-- For the foreign-key check when an inode is deleted, and for hard links.
CREATE INDEX entries_by_ino ON entries (ino);

CREATE TABLE xattrs (
  ino   INTEGER NOT NULL REFERENCES inodes (ino) ON DELETE CASCADE,
  name  TEXT    NOT NULL CHECK (name <> ''),
  value BLOB    NOT NULL,
  PRIMARY KEY (ino, name)
) WITHOUT ROWID;

-- Peers met on the network, so a restarted node can rejoin without a
-- bootstrap address.
CREATE TABLE peers (
  node_id   BLOB    NOT NULL PRIMARY KEY CHECK (length(node_id) = 32),
  address   TEXT    NOT NULL,
  last_seen INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// Schema v2: what the filesystem layer needs on top of v1.
constexpr std::string_view kSchemaV2 = R"sql(
-- Files rows the namespace recorded for the versions its inodes point at.
-- Only these are forgotten when no inode points at them any more; rows that
-- dfs put recorded are never touched by the filesystem.
CREATE TABLE fs_versions (
  manifest_id BLOB NOT NULL PRIMARY KEY REFERENCES files (manifest_id) ON DELETE CASCADE
) WITHOUT ROWID;
-- Whether some inode still points at a version, when it is replaced.
CREATE INDEX inodes_by_manifest ON inodes (manifest_id) WHERE manifest_id IS NOT NULL;
-- Orphans (unlinked while open, then a crash) are found at mount.
CREATE INDEX inodes_unlinked ON inodes (ino) WHERE nlink = 0;
)sql";

// Schema v3: leases on chunks this peer stores for others (DESIGN.md §4).
constexpr std::string_view kSchemaV3 = R"sql(
-- A chunk received from another peer (PUT_CHUNK, a repair copy) is kept
-- until expires_at (seconds since the epoch) unless its owner renews the
-- lease; GC collects a chunk only when no lease holds it and no file of
-- this peer references it.
CREATE TABLE leases (
  chunk_id   BLOB    NOT NULL PRIMARY KEY CHECK (length(chunk_id) = 32),
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
-- One row until the node has leased every chunk its store held before
-- leases existed (it cannot tell which it holds for others): without it,
-- the first GC after an upgrade would collect them all.
CREATE TABLE leases_to_grant (pending INTEGER NOT NULL);
INSERT INTO leases_to_grant VALUES (1);
)sql";

// Schema v4: content commits whose durability is deferred (fs/, DESIGN.md
// §5 as README "Durability" words it).
constexpr std::string_view kSchemaV4 = R"sql(
-- A version an inode was pointed at by a commit that is not yet known to be
-- durable: its chunks were stored without a sync, and the index commit was
-- not fsynced. Until Index::make_durable settles the row, the previous
-- version stays recorded (GC keeps its chunks), so that recovery after a
-- power loss can put the inode back on it if this version's chunks did not
-- reach the disk. No foreign key: the inode may be gone by then.
CREATE TABLE unsynced_versions (
  seq               INTEGER PRIMARY KEY AUTOINCREMENT,
)sql";
// unsynced_versions' columns after seq (v4, and v11's copy of the table).
constexpr std::string_view kUnsyncedVersionsColumns = R"sql(
  ino               INTEGER NOT NULL,
  manifest_id       BLOB    NOT NULL CHECK (length(manifest_id) = 32),
  previous_manifest BLOB    NULL CHECK (previous_manifest IS NULL OR length(previous_manifest) = 32),
  previous_key      BLOB    NULL CHECK (previous_key IS NULL OR length(previous_key) = 32),
  previous_size     INTEGER NOT NULL CHECK (previous_size >= 0),
  previous_mtime_ns INTEGER NOT NULL,
  CHECK ((previous_manifest IS NULL) = (previous_key IS NULL))
);
)sql";

// Schema v5: who put each chunk held for others (issue 10).
constexpr std::string_view kSchemaV5 = R"sql(
-- The node ID of the peer that put the chunk here: it may renew the lease
-- (so may the chunk's current holders); an arbitrary peer may not. NULL for
-- leases from before v5 (only holders renew those).
ALTER TABLE leases ADD COLUMN placer BLOB NULL CHECK (placer IS NULL OR length(placer) = 32);
)sql";

// Schema v6: directory trees put by dfs put -r beside files (issue 12).
constexpr std::string_view kSchemaV6 = R"sql(
-- What a files row names: 0 a file's manifest, 1 a directory snapshot (the
-- root of a tree whose chunks its chunk_refs rows all hold). Rows written
-- before are files.
ALTER TABLE files ADD COLUMN kind INTEGER NOT NULL DEFAULT 0 CHECK (kind IN (0, 1));
)sql";

// What a regular file's chunks hold, holes not counted: its st_blocks
// (NULL: not known, for files committed before v7, counted as their size).
constexpr std::string_view kSchemaV7 = R"sql(
ALTER TABLE inodes ADD COLUMN stored_bytes INTEGER NULL CHECK (stored_bytes IS NULL OR stored_bytes >= 0);
)sql";

// Schema v8: the snapshot builder's cache of directory manifests (fs/).
constexpr std::string_view kSchemaV8 = R"sql(
-- The directory manifest last sealed for a directory (per scope), with a
-- digest of its plaintext: asked again for the same entries, the builder
-- reuses it instead of sealing a new one. Gone with its inode.
CREATE TABLE dir_snapshots (
  ino         INTEGER NOT NULL REFERENCES inodes (ino) ON DELETE CASCADE,
  scope       INTEGER NOT NULL,
  fingerprint BLOB    NOT NULL CHECK (length(fingerprint) = 32),
  manifest_id BLOB    NOT NULL CHECK (length(manifest_id) = 32),
  file_key    BLOB    NOT NULL CHECK (length(file_key) = 32),
  size        INTEGER NOT NULL CHECK (size >= 0),
  files       INTEGER NOT NULL CHECK (files >= 0),
  PRIMARY KEY (ino, scope)
) WITHOUT ROWID;
-- The segments of each cached manifest: kept from GC and leased like the
-- chunks of files (retention.cpp) while their snapshot row lives.
CREATE TABLE dir_snapshot_chunks (
  chunk_id BLOB    NOT NULL CHECK (length(chunk_id) = 32),
  ino      INTEGER NOT NULL,
  scope    INTEGER NOT NULL,
  PRIMARY KEY (chunk_id, ino, scope),
  FOREIGN KEY (ino, scope) REFERENCES dir_snapshots (ino, scope) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX dir_snapshot_chunks_by_owner ON dir_snapshot_chunks (ino, scope);
)sql";

// Schema v9: what the namespace's retained snapshots may still name (issue 15).
constexpr std::string_view kSchemaV9 = R"sql(
-- Chunks the namespace let go of while its snapshots are kept: a file
-- version replaced or deleted, a directory manifest sealed anew. A
-- snapshot published under the recovery key may still name them, so GC
-- keeps them (and the owner's repair renews their leases) until the oldest
-- snapshot kept was taken after they were let go (Index::retain_snapshots).
CREATE TABLE released_chunks (
  chunk_id    BLOB    NOT NULL PRIMARY KEY CHECK (length(chunk_id) = 32),
  released_at INTEGER NOT NULL
) WITHOUT ROWID;
-- One row while the mount keeps snapshots: when the oldest one kept was
-- taken (NULL: none yet, every release is kept). No row: releases go at once.
CREATE TABLE snapshot_retention (oldest_taken_at INTEGER NULL);
CREATE TRIGGER keep_released_versions BEFORE DELETE ON files
  WHEN EXISTS (SELECT 1 FROM snapshot_retention)
   AND EXISTS (SELECT 1 FROM fs_versions WHERE manifest_id = OLD.manifest_id)
BEGIN
  INSERT INTO released_chunks (chunk_id, released_at)
    SELECT chunk_id, CAST(strftime('%s', 'now') AS INTEGER) FROM chunk_refs WHERE manifest_id = OLD.manifest_id
    ON CONFLICT (chunk_id) DO UPDATE SET released_at = max(released_at, excluded.released_at);
END;
-- Directory manifests of the namespace backup scope (1): replaced by a new
-- seal, or gone with their directory (cascades fire this too).
CREATE TRIGGER keep_released_directories BEFORE DELETE ON dir_snapshot_chunks
  WHEN OLD.scope = 1 AND EXISTS (SELECT 1 FROM snapshot_retention)
BEGIN
  INSERT INTO released_chunks (chunk_id, released_at)
    VALUES (OLD.chunk_id, CAST(strftime('%s', 'now') AS INTEGER))
    ON CONFLICT (chunk_id) DO UPDATE SET released_at = max(released_at, excluded.released_at);
END;
)sql";

// The root directory belongs to whoever creates the index: the user who
// runs the mount, as with any FUSE filesystem.
Status insert_root_inode(Database& db) {
  DFS_ASSIGN_OR_RETURN(Statement stmt, db.prepare("INSERT INTO inodes (ino, mode, uid, gid, nlink, size, atime_ns, "
                                                  "mtime_ns, ctime_ns) VALUES (?, ?, ?, ?, 2, 0, ?, ?, ?)"));
  const std::int64_t now = now_ns();
  DFS_TRY(stmt.bind_all(static_cast<std::int64_t>(kRootIno), std::int64_t{S_IFDIR | 0755},
                        std::int64_t{getuid()}, std::int64_t{getgid()}, now, now, now));
  return stmt.run();
}

// Schema v10: the placer's lease key beside its node ID (issue 15,
// replicate/keyed_renewal.hpp).
constexpr std::string_view kSchemaV10 = R"sql(
-- The public lease key the placer sent with the chunk (none: a placer
-- without a recovery key): a renewal signed by it extends the lease from
-- any node ID, so a machine recovered with the namespace's recovery key
-- renews what the lost one placed. The first key recorded is kept.
ALTER TABLE leases ADD COLUMN placer_key BLOB NULL CHECK (placer_key IS NULL OR length(placer_key) = 32);
)sql";

// Schema v11: fewer pages written by each content commit (issue 13, small
// files: every page a transaction touches is one 4 KiB frame in the WAL).
constexpr std::string_view kSchemaV11 = R"sql(
-- Whether the mount's namespace recorded the row (and so may forget it),
-- a column instead of the fs_versions table: one B-tree leaf fewer per
-- commit. Only these are forgotten when no inode points at them any more.
ALTER TABLE files ADD COLUMN from_mount INTEGER NOT NULL DEFAULT 0 CHECK (from_mount IN (0, 1));
UPDATE files SET from_mount = 1 WHERE manifest_id IN (SELECT manifest_id FROM fs_versions);
DROP TRIGGER keep_released_versions;
DROP TABLE fs_versions;
-- A files row keeps its own manifest chunk (manifest_id) from GC itself:
-- chunk_refs names the other chunks only (rows from before v11 may still
-- name it too), so a version released while snapshots are kept releases
-- its manifest chunk with them.
CREATE TRIGGER keep_released_versions BEFORE DELETE ON files
  WHEN OLD.from_mount = 1 AND EXISTS (SELECT 1 FROM snapshot_retention)
BEGIN
  INSERT INTO released_chunks (chunk_id, released_at)
    SELECT chunk_id, CAST(strftime('%s', 'now') AS INTEGER)
      FROM (SELECT chunk_id FROM chunk_refs WHERE manifest_id = OLD.manifest_id UNION SELECT OLD.manifest_id)
      WHERE true
    ON CONFLICT (chunk_id) DO UPDATE SET released_at = max(released_at, excluded.released_at);
END;
-- Without AUTOINCREMENT: a note's seq need only grow while notes before it
-- exist (make_durable settles a prefix, recovery reads them in order), and
-- AUTOINCREMENT wrote the sqlite_sequence page in every content commit.
CREATE TABLE unsynced_versions_v11 (
  seq               INTEGER PRIMARY KEY,
)sql";
// Then kUnsyncedVersionsColumns, then:
constexpr std::string_view kSchemaV11Copy = R"sql(
INSERT INTO unsynced_versions_v11 (seq, ino, manifest_id, previous_manifest, previous_key, previous_size,
                                   previous_mtime_ns)
  SELECT seq, ino, manifest_id, previous_manifest, previous_key, previous_size, previous_mtime_ns
  FROM unsynced_versions;
DROP TABLE unsynced_versions;
ALTER TABLE unsynced_versions_v11 RENAME TO unsynced_versions;
)sql";

Status apply_v1(Database& db) {
  DFS_TRY(db.exec(kSchemaV1));
  return insert_root_inode(db);
}

Status apply_v2(Database& db) { return db.exec(kSchemaV2); }

Status apply_v3(Database& db) { return db.exec(kSchemaV3); }

Status apply_v4(Database& db) {
  return db.exec(std::string(kSchemaV4) + std::string(kUnsyncedVersionsColumns));
}

Status apply_v5(Database& db) { return db.exec(kSchemaV5); }

Status apply_v6(Database& db) { return db.exec(kSchemaV6); }
Status apply_v7(Database& db) { return db.exec(kSchemaV7); }
Status apply_v8(Database& db) { return db.exec(kSchemaV8); }
Status apply_v9(Database& db) { return db.exec(kSchemaV9); }
Status apply_v10(Database& db) { return db.exec(kSchemaV10); }
Status apply_v11(Database& db) {
  return db.exec(std::string(kSchemaV11) + std::string(kUnsyncedVersionsColumns) + std::string(kSchemaV11Copy));
}

constexpr Migration kMigrations[] = {
    {1, "files, chunk refs, pins, namespace, peers", &apply_v1},
    {2, "filesystem versions, inodes by manifest, unlinked inodes", &apply_v2},
    {3, "leases on chunks held for other peers", &apply_v3},
    {4, "content commits not yet durable", &apply_v4},
    {5, "who put each chunk held for others", &apply_v5},
    {6, "directory trees beside files", &apply_v6},
    {7, "bytes stored for each file (sparse files' st_blocks)", &apply_v7},
    {8, "cached directory snapshots", &apply_v8},
    {9, "chunks kept for retained namespace snapshots", &apply_v9},
    {10, "the placer's lease key with each lease", &apply_v10},
    {11, "fewer pages per file version: mount versions marked in files, unsynced notes without AUTOINCREMENT",
     &apply_v11},
};
static_assert(std::size(kMigrations) == static_cast<std::size_t>(kSchemaVersion), "kSchemaVersion must name the last migration");

Error too_new(const Database& db, int found, int known) {
  return make_error(Errc::bad_version, "index " + db.path() + " has schema version " + std::to_string(found) +
                                           ", newer than version " + std::to_string(known) +
                                           " that this dfs understands; it was written by a newer dfs, "
                                           "so upgrade dfs to use it");
}

Status check_numbering(std::span<const Migration> migrations) {
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i + 1)) {
      return make_error(Errc::internal, "index migrations must be numbered 1, 2, 3, ...; entry " + std::to_string(i) +
                                            " has version " + std::to_string(migrations[i].version));
    }
  }
  return {};
}

// Runs one migration in its own transaction unless the file already has it.
Status apply_one(Database& db, const Migration& migration, int latest) {
  DFS_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(db));
  // Re-read under the write lock: another process may have migrated since.
  DFS_ASSIGN_OR_RETURN(int current, schema_version(db));
  if (current > latest) return too_new(db, current, latest);
  if (current >= migration.version) return {};  // tx rolls back having done nothing
  if (current != migration.version - 1) {
    return make_error(Errc::internal, "index " + db.path() + " is at schema version " + std::to_string(current) +
                                          ", cannot apply migration " + std::to_string(migration.version));
  }
  Status applied = migration.apply(db);
  if (!applied.ok()) {
    Error error = applied.take_error();
    error.message = "migrating index " + db.path() + " to schema version " + std::to_string(migration.version) +
                    " failed: " + error.message;
    return error;
  }
  // user_version is in the file header, which the transaction covers.
  DFS_TRY(db.exec("PRAGMA user_version = " + std::to_string(migration.version)));
  DFS_TRY(tx.commit());
  log::info("index " + db.path() + " migrated to schema version " + std::to_string(migration.version) + ": " +
            std::string(migration.summary));
  return {};
}

}  // namespace

std::span<const Migration> index_migrations() { return kMigrations; }

Result<int> schema_version(Database& db) {
  DFS_ASSIGN_OR_RETURN(std::int64_t version, db.query_int64("PRAGMA user_version"));
  // user_version is a signed 32-bit field; dfs only ever writes 1, 2, ...
  if (version < 0) {
    return make_error(Errc::corrupt, "index " + db.path() + " has a negative schema version " + std::to_string(version));
  }
  return static_cast<int>(version);
}

Status migrate(Database& db, std::span<const Migration> migrations) {
  DFS_TRY(check_numbering(migrations));
  const int latest = static_cast<int>(migrations.size());
  DFS_ASSIGN_OR_RETURN(int current, schema_version(db));
  if (current > latest) return too_new(db, current, latest);
  for (const Migration& migration : migrations.subspan(static_cast<std::size_t>(current))) {
    DFS_TRY(apply_one(db, migration, latest));
  }
  return {};
}

}  // namespace dfs::index
