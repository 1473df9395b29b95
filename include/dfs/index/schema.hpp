// The index schema and how a database file is brought up to it.
//
// The schema version lives in the file header (PRAGMA user_version). Each
// Migration takes the file from version - 1 to version in one transaction,
// together with the new user_version, so a crash or an error mid-way leaves
// the file at the previous version with none of the migration's changes.
// A file whose version is newer than the code knows is refused rather than
// guessed at: an older dfs must not write to a newer layout.
#pragma once

#include <span>
#include <string_view>

#include "dfs/util/result.hpp"

namespace dfs::index {

class Database;

struct Migration {
  int version;               // user_version after this migration: 1, 2, 3, ...
  std::string_view summary;  // one line for the log
  Status (*apply)(Database& db);  // runs inside the migration's transaction
};

// The schema version this code reads and writes: the last migration's.
inline constexpr int kSchemaVersion = 11;

// The index's migrations, oldest first; the last one has kSchemaVersion.
std::span<const Migration> index_migrations();

// The file's user_version (0 for a new, empty file).
Result<int> schema_version(Database& db);

// Applies, in order and each in its own transaction, every migration newer
// than the file's version. `migrations` must be numbered 1, 2, 3, ...
// (Errc::internal otherwise). Fails with Errc::bad_version, touching
// nothing, if the file's version is newer than the last migration. Safe
// against another process migrating the same file at the same time.
Status migrate(Database& db, std::span<const Migration> migrations);

}  // namespace dfs::index
