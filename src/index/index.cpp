// Index: opening, files and pins. What keeps a chunk from GC (references,
// leases) is in retention.cpp, the namespace methods in namespace.cpp.
#include "dfs/index/index.hpp"

#include <fcntl.h>

#include <chrono>
#include <filesystem>

#include "dfs/index/schema.hpp"
#include "dfs/index/sqlite.hpp"
#include "dfs/util/clock.hpp"
#include "dfs/util/file.hpp"
#include "rows.hpp"

namespace dfs::index {

namespace {

constexpr std::string_view kFileColumns = "manifest_id, file_key, name, size, chunk_size, chunk_count, added_at, kind";
// What a read adds: whether the mount's namespace recorded the row.
constexpr std::string_view kFromMount = ", from_mount";
constexpr std::int64_t kKindFile = 0;
constexpr std::int64_t kKindDirectory = 1;

// SQLite would create the file with the umask's mode (often 0644); the index
// holds file keys, so it is created 0600 first (an empty file is a valid
// empty database). SQLite gives the -wal and -shm files the main file's mode.
Status create_private_file(const std::string& path) {
  auto created = open_file(path, O_RDWR | O_CREAT | O_EXCL, 0600);
  if (!created.ok()) {
    if (created.error().code == Errc::already_exists) return {};
    return created.take_error();
  }
  // SQLite syncs the directory for the -wal file it creates, not for a main
  // file it did not create: without this, a power loss could take the new
  // index's directory entry, and every commit made since, with it.
  std::string dir = std::filesystem::path(path).parent_path().string();
  return fsync_dir(dir.empty() ? "." : dir);
}

Result<FileRecord> read_file_row(const Statement& stmt) {
  FileRecord file;
  DFS_ASSIGN_OR_RETURN(file.manifest, rows::read_id(stmt, 0, "manifest ID"));
  DFS_ASSIGN_OR_RETURN(file.key, rows::read_array<crypto::kKeySize>(stmt, 1, "file key"));
  file.name = stmt.column_text(2);
  DFS_ASSIGN_OR_RETURN(file.size, rows::read_uint<std::uint64_t>(stmt, 3, "file size"));
  DFS_ASSIGN_OR_RETURN(file.chunk_size, rows::read_uint<std::uint32_t>(stmt, 4, "chunk size"));
  DFS_ASSIGN_OR_RETURN(file.chunk_count, rows::read_uint<std::uint64_t>(stmt, 5, "chunk count"));
  file.added_at_unix = stmt.column_int64(6);
  file.is_directory = stmt.column_int64(7) == kKindDirectory;
  file.from_mount = stmt.column_int64(8) != 0;
  return file;
}

Result<std::vector<FileRecord>> read_file_rows(Statement& stmt) {
  std::vector<FileRecord> files;
  for (;;) {
    DFS_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) return files;
    DFS_ASSIGN_OR_RETURN(FileRecord file, read_file_row(stmt));
    files.push_back(std::move(file));
  }
}

Status upsert_file(Database& db, const FileRecord& file) {
  if (file.chunk_size == 0) return make_error(Errc::invalid_argument, "file " + file.name + " has chunk size 0");
  DFS_ASSIGN_OR_RETURN(std::int64_t size, rows::to_sql(file.size, "file size"));
  DFS_ASSIGN_OR_RETURN(std::int64_t count, rows::to_sql(file.chunk_count, "chunk count"));
  // An upsert, not INSERT OR REPLACE: REPLACE deletes the old row first,
  // and the delete would cascade to the file's pin.
  const std::string sql = "INSERT INTO files (" + std::string(kFileColumns) +
                          ") VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (manifest_id) DO UPDATE SET "
                          "file_key = excluded.file_key, name = excluded.name, size = excluded.size, "
                          "chunk_size = excluded.chunk_size, chunk_count = excluded.chunk_count, "
                          "added_at = excluded.added_at, kind = excluded.kind";
  return rows::execute(db, sql, file.manifest.bytes, file.key, file.name, size, std::int64_t{file.chunk_size}, count,
                       file.added_at_unix, file.is_directory ? kKindDirectory : kKindFile);
}

Status replace_refs(Database& db, const ChunkId& manifest, const std::vector<ChunkId>& referenced) {
  DFS_TRY(rows::execute(db, "DELETE FROM chunk_refs WHERE manifest_id = ?", manifest.bytes));
  return rows::insert_chunk_refs(db, manifest, referenced);
}

Result<bool> file_exists(Database& db, const ChunkId& manifest) {
  DFS_ASSIGN_OR_RETURN(auto found, rows::query_int(db, "SELECT 1 FROM files WHERE manifest_id = ?", manifest.bytes));
  return found.has_value();
}

Error no_such_file(const ChunkId& manifest) {
  return make_error(Errc::not_found, "no file with manifest " + manifest.short_hex() + " in the index");
}

}  // namespace

Result<std::unique_ptr<Index>> Index::open(const std::string& path, Database::Sharing sharing) {
  DFS_TRY(create_private_file(path));
  DFS_ASSIGN_OR_RETURN(Database db,
                       Database::open(path, Database::kDefaultFlags, Database::kDefaultBusyTimeoutMs, sharing));
  DFS_TRY(migrate(db, index_migrations()));
  // A checkpoint copies the WAL's pages into the database and syncs both,
  // holding the index meanwhile. SQLite's default, every 1,000 pages (4 MB),
  // ran one every ~90 small files created on the mount, each copying the
  // same few hot pages (the directory, the inode table's last leaf); every
  // 16,000 pages (64 MB of WAL at most) copies them once per 16 times.
  DFS_TRY(db.query_int64("PRAGMA wal_autocheckpoint = 16000"));
  return std::unique_ptr<Index>(new Index(std::make_unique<Database>(std::move(db))));
}

Index::Index(std::unique_ptr<Database> db) : db_(std::move(db)) {}

Index::~Index() = default;

Status Index::record_file(const FileRecord& file, const std::vector<ChunkId>& referenced) {
  std::lock_guard lock(mu_);
  DFS_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(*db_));
  DFS_TRY(upsert_file(*db_, file));
  DFS_TRY(replace_refs(*db_, file.manifest, referenced));
  return tx.commit();
}

Result<std::vector<FileRecord>> Index::list_files() {
  std::lock_guard lock(mu_);
  DFS_ASSIGN_OR_RETURN(Statement stmt,
                       db_->prepare("SELECT " + std::string(kFileColumns) + std::string(kFromMount) +
                                    " FROM files ORDER BY added_at, manifest_id"));
  return read_file_rows(stmt);
}

Result<std::optional<FileRecord>> Index::find_file(const ChunkId& manifest) {
  std::lock_guard lock(mu_);
  DFS_ASSIGN_OR_RETURN(Statement stmt,
                       rows::prepare_bound(*db_, "SELECT " + std::string(kFileColumns) + std::string(kFromMount) +
                                                                   " FROM files WHERE manifest_id = ?",
                                           manifest.bytes));
  DFS_ASSIGN_OR_RETURN(std::vector<FileRecord> files, read_file_rows(stmt));
  if (files.empty()) return std::optional<FileRecord>();
  return std::optional<FileRecord>(std::move(files.front()));
}

Status Index::forget_file(const ChunkId& manifest) {
  std::lock_guard lock(mu_);
  // One statement, so atomic by itself; foreign keys cascade the delete to
  // the file's chunk_refs and pins rows.
  DFS_TRY(rows::execute(*db_, "DELETE FROM files WHERE manifest_id = ?", manifest.bytes));
  if (db_->changes() == 0) return no_such_file(manifest);
  return {};
}

Status Index::forget_put(const ChunkId& manifest) {
  std::lock_guard lock(mu_);
  DFS_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(*db_));
  DFS_ASSIGN_OR_RETURN(bool exists, file_exists(*db_, manifest));
  if (!exists) return no_such_file(manifest);
  DFS_ASSIGN_OR_RETURN(auto in_use, rows::query_int(*db_, "SELECT 1 FROM inodes WHERE manifest_id = ? LIMIT 1",
                                                    manifest.bytes));
  if (in_use.has_value()) {
    DFS_TRY(rows::execute(*db_, "UPDATE files SET from_mount = 1 WHERE manifest_id = ?", manifest.bytes));
    DFS_TRY(rows::execute(*db_, "DELETE FROM pins WHERE manifest_id = ?", manifest.bytes));
  } else {
    DFS_TRY(rows::execute(*db_, "DELETE FROM files WHERE manifest_id = ?", manifest.bytes));
  }
  return tx.commit();
}

Status Index::set_pinned(const ChunkId& manifest, bool pinned) {
  std::lock_guard lock(mu_);
  DFS_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(*db_));
  DFS_ASSIGN_OR_RETURN(bool exists, file_exists(*db_, manifest));
  if (!exists) return no_such_file(manifest);
  if (pinned) {
    // OR IGNORE: pinning twice keeps the first pinned_at.
    DFS_TRY(rows::execute(*db_, "INSERT OR IGNORE INTO pins (manifest_id, pinned_at) VALUES (?, ?)", manifest.bytes,
                          unix_seconds()));
  } else {
    DFS_TRY(rows::execute(*db_, "DELETE FROM pins WHERE manifest_id = ?", manifest.bytes));
  }
  return tx.commit();
}

Result<bool> Index::is_pinned(const ChunkId& manifest) {
  std::lock_guard lock(mu_);
  // No row: no such file; otherwise whether a pin row exists.
  DFS_ASSIGN_OR_RETURN(auto pinned, rows::query_int(*db_,
                                                    "SELECT EXISTS (SELECT 1 FROM pins WHERE manifest_id = ?1) "
                                                    "FROM files WHERE manifest_id = ?1",
                                                    manifest.bytes));
  if (!pinned.has_value()) return no_such_file(manifest);
  return *pinned != 0;
}

}  // namespace dfs::index

namespace dfs::index::rows {

Status insert_chunk_refs(Database& db, const ChunkId& manifest, const std::vector<ChunkId>& chunks) {
  // One statement reused for every row: compiled once, not per chunk.
  DFS_ASSIGN_OR_RETURN(Statement insert,
                       db.prepare("INSERT OR IGNORE INTO chunk_refs (chunk_id, manifest_id) VALUES (?, ?)"));
  for (const ChunkId& chunk : chunks) {
    if (chunk == manifest) continue;  // the files row keeps it (schema v11)
    DFS_TRY(insert.bind_all(chunk.bytes, manifest.bytes));
    DFS_TRY(insert.run());
    insert.reset();
  }
  return {};
}

}  // namespace dfs::index::rows
