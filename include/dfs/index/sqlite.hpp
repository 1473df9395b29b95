// RAII wrappers over the SQLite C API: Database, Statement, Transaction.
//
// Every failure comes back as an Error whose message holds SQLite's own
// message, its extended result code and the SQL that failed, e.g.
//   "sqlite: UNIQUE constraint failed: files.manifest_id (code 1555) in:
//    INSERT INTO files ..."
// No exceptions; nothing leaks: statements are finalized and connections
// closed by destructors, and a Transaction that is not committed rolls back.
//
// Thread safety: a Database and its Statements belong to one thread at a
// time (the connection is opened in SQLite's multi-thread mode, no internal
// mutex). Callers that share one connection between threads serialize all
// use of it with their own lock; index::Index does so.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "dfs/util/bytes.hpp"
#include "dfs/util/result.hpp"

namespace dfs::index {

// Error for SQLite result code `rc` on connection `db` while running `sql`.
// Codes map to Errc: constraint violations -> already_exists (primary key,
// unique) or invalid_argument (foreign key, check, not null); SQLITE_FULL ->
// no_space; SQLITE_CORRUPT/NOTADB -> corrupt; SQLITE_IOERR/CANTOPEN ->
// io_error; SQLITE_BUSY/LOCKED -> timed_out (the busy timeout ran out);
// SQLITE_READONLY/PERM/AUTH -> permission_denied; SQLITE_TOOBIG -> too_large;
// anything else -> internal.
Error sqlite_error(sqlite3* db, int rc, std::string_view sql);

class Statement;
class StatementCache;

// One connection to one database file.
class Database {
 public:
  // SQLITE_OPEN_NOMUTEX: see the thread-safety note at the top of the file.
  static constexpr int kDefaultFlags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  // How long a statement waits for another connection's lock before failing
  // with Errc::timed_out. Writers use BEGIN IMMEDIATE, so waiting is the
  // only thing lock contention can cause (no deadlock-by-upgrade).
  static constexpr int kDefaultBusyTimeoutMs = 10'000;
  // The most the connection's page cache holds, in KiB. Content commits
  // insert under random keys (manifest and chunk IDs), so each dirties a
  // different leaf of files, chunk_refs and inodes_by_manifest;
  // with SQLite's default 2 MiB, once the index outgrew it (a few thousand
  // files, ~700 bytes each) nearly every such leaf was read back from the
  // WAL or the database first, and creating files on the mount slowed as
  // the namespace grew (issue 13). The cache only takes what is read, so a
  // small index costs no more.
  static constexpr int kCacheKiB = 64 * 1024;

  // Whether other connections may use the file while this one is open.
  enum class Sharing {
    // Yes, in this process or others: every statement takes and releases
    // SQLite's POSIX locks (fcntl) on the WAL's shared-memory index.
    shared,
    // No: the connection takes the file's lock at its first read and keeps
    // it until it closes (locking_mode=EXCLUSIVE, set before the WAL is
    // opened, so its index lives in this process's heap: no -shm file, no
    // fcntl per statement; a FUSE create and close cost ~42 fcntl calls
    // in shared mode). Another connection waits out its busy timeout and
    // fails with Errc::timed_out.
    exclusive,
  };

  // Opens (or with SQLITE_OPEN_CREATE creates) `path` and configures the
  // connection for dfs:
  //  - journal_mode=WAL: readers never block the writer nor the writer the
  //    readers (FUSE reads go on while a close() commits a manifest), and a
  //    commit is one sequential append to the -wal file.
  //  - synchronous=FULL: in WAL mode, NORMAL only fsyncs at checkpoints, so
  //    a commit acknowledged before a power loss can be rolled back. Every
  //    commit fsyncs the WAL (one fsync per transaction, not per statement)
  //    unless it asks for Durability::deferred (see Transaction::commit).
  //  - foreign_keys=ON: SQLite leaves it off per connection by default, and
  //    the schema relies on it (refs and pins vanish with their file).
  //  - busy_timeout: waits for other connections instead of failing at once.
  //  - cache_size: kCacheKiB.
  //  - with Sharing::exclusive, locking_mode=EXCLUSIVE (see Sharing).
  // A read-only open (no SQLITE_OPEN_READWRITE) keeps the file's journal mode.
  static Result<Database> open(const std::string& path, int flags = kDefaultFlags,
                               int busy_timeout_ms = kDefaultBusyTimeoutMs, Sharing sharing = Sharing::shared);

  Database() = default;
  ~Database();
  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one or more `;`-separated statements that take no parameters
  // (schema DDL, pragmas). Rows they return are discarded.
  Status exec(std::string_view sql);
  // Compiling a statement costs more than running a simple one (a FUSE
  // lookup runs several), so a Statement goes back to its connection when
  // destroyed, reset and unbound, and the next prepare() of the same SQL
  // takes it instead of compiling again.
  Result<Statement> prepare(std::string_view sql);
  // prepare(sql) and run it (one statement, no parameters, rows discarded).
  Status run(std::string_view sql);
  // The first column of the first row of `sql` as an integer or text (for
  // pragmas and counts); Errc::not_found if it returns no row.
  Result<std::int64_t> query_int64(std::string_view sql);
  Result<std::string> query_text(std::string_view sql);

  // Rows changed by the last INSERT/UPDATE/DELETE on this connection.
  std::int64_t changes() const;
  std::int64_t last_insert_rowid() const;
  // True while a transaction is open (false in autocommit mode).
  bool in_transaction() const;
  // Makes every transaction committed so far durable, deferred ones
  // included: one fsync of the WAL (nothing if it is not open yet).
  Status sync_wal();

  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_; }

 private:
  Database(sqlite3* db, std::string path);
  Status configure(int flags, int busy_timeout_ms, Sharing sharing);
  Result<std::string> enable_wal(int busy_timeout_ms);
  void close();
  friend class Transaction;
  // The synchronous level, changed only when a transaction needs the other
  // one: PRAGMA synchronous takes effect as it is compiled, so each change
  // is a parse (two per deferred transaction when each restored FULL).
  Status set_synchronous_normal(bool normal);
  // Before a statement that may write outside any transaction: FULL again
  // if a deferred transaction left the connection at NORMAL.
  Status sync_autocommit_writes();

  sqlite3* db_ = nullptr;
  std::string path_;
  // Shared with the Statements it handed out, so that one outliving the
  // connection (a bug, but not one that should crash) still has a home.
  std::shared_ptr<StatementCache> cache_;
  bool synchronous_normal_ = false;  // the connection is at NORMAL (else FULL)
  bool in_deferred_ = false;         // a Durability::deferred transaction is open
};

// A prepared statement; finalized on destruction. Parameters are numbered
// from 1 and columns from 0, as in SQLite. Bound text and blobs are copied,
// so the caller's buffers need not outlive the call.
class Statement {
 public:
  Statement() = default;
  ~Statement();
  Statement(Statement&& other) noexcept
      : stmt_(std::exchange(other.stmt_, nullptr)), home_(std::move(other.home_)) {}
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Status bind(int index, std::int64_t value);
  Status bind(int index, std::string_view text);
  Status bind(int index, ByteView blob);  // an empty view binds a zero-length blob, not NULL
  Status bind_null(int index);
  // An empty optional binds NULL.
  template <typename T>
  Status bind(int index, const std::optional<T>& value) {
    return value.has_value() ? bind(index, *value) : bind_null(index);
  }

  // Binds args to parameters 1, 2, ... in order: stmt.bind_all(id.bytes, name, size).
  template <typename... Args>
  Status bind_all(const Args&... args) {
    int index = 0;
    Status status;
    // Stops at the first failure: && short-circuits the fold.
    ((status = bind(++index, args), status.ok()) && ...);
    return status;
  }

  // Advances to the next row: true if a row is ready to read, false when the
  // statement has finished.
  Result<bool> step();
  // Steps until the statement finishes, discarding any rows (INSERT etc.).
  Status run();
  // Makes the statement ready to run again and clears its bindings.
  void reset();

  bool column_is_null(int column) const;
  std::int64_t column_int64(int column) const;
  std::string column_text(int column) const;
  // Valid until the next step(), reset() or destruction.
  ByteView column_blob(int column) const;

  // The SQL text, for error messages.
  std::string_view sql() const;

 private:
  friend class Database;
  Statement(sqlite3_stmt* stmt, std::shared_ptr<StatementCache> home) : stmt_(stmt), home_(std::move(home)) {}
  Status check_bind(int rc) const;
  // Hands stmt_ back to its cache (or finalizes it); leaves this empty.
  void give_back();

  sqlite3_stmt* stmt_ = nullptr;
  std::shared_ptr<StatementCache> home_;  // where stmt_ goes when done; null: finalize it
};

// A write transaction: BEGIN IMMEDIATE takes the write lock up front, so a
// transaction never fails half-way because another connection wrote first;
// contention shows up as waiting in begin() (bounded by the busy timeout).
// Destroying an uncommitted Transaction rolls it back, so `return error;`
// anywhere inside leaves the database as it was.
class Transaction {
 public:
  enum class Mode {
    immediate,  // for transactions that write
    deferred,   // read-only: a consistent snapshot across several statements
  };
  enum class Durability {
    synced,    // survives a power loss once commit() returns
    // Written to the WAL but not fsynced: survives the process dying, not
    // the machine; a power loss may roll it back (with every later
    // transaction: the WAL is a log, so what survives is always a prefix).
    // The next synced commit, or Database::sync_wal(), makes it durable.
    deferred,
  };
  static Result<Transaction> begin(Database& db, Mode mode = Mode::immediate,
                                   Durability durability = Durability::synced);

  Transaction() = default;
  ~Transaction() { rollback(); }
  Transaction(Transaction&& other) noexcept
      : db_(std::exchange(other.db_, nullptr)), deferred_(other.deferred_) {}
  Transaction& operator=(Transaction&& other) noexcept;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // Commits. On failure the transaction is rolled back (now or by the
  // destructor) and nothing of it is visible.
  Status commit();

 private:
  Transaction(Database* db, bool deferred) : db_(db), deferred_(deferred) {}
  void rollback() noexcept;
  // Forgets the transaction (committed or rolled back).
  void end() noexcept;

  Database* db_ = nullptr;  // null once committed or rolled back
  bool deferred_ = false;
};

}  // namespace dfs::index
