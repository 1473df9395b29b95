#include "dfs/index/sqlite.hpp"

#include <chrono>
#include <climits>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "dfs/util/log.hpp"
#include "wal_vfs.hpp"

namespace dfs::index {

namespace {

Errc errc_from_sqlite(int rc) {
  switch (rc) {
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_UNIQUE: return Errc::already_exists;
    default: break;
  }
  switch (rc & 0xff) {  // the primary code of an extended result code
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE: return Errc::invalid_argument;
    case SQLITE_TOOBIG: return Errc::too_large;
    case SQLITE_FULL: return Errc::no_space;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return Errc::corrupt;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL: return Errc::io_error;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return Errc::timed_out;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH: return Errc::permission_denied;
    default: return Errc::internal;
  }
}

// sqlite3_errmsg describes the connection's most recent failure; when that
// does not belong to `rc` (e.g. a bind error), the generic text for the code
// is the better message.
std::string message_for(sqlite3* db, int rc) {
  if (db != nullptr && sqlite3_extended_errcode(db) == rc) return sqlite3_errmsg(db);
  return sqlite3_errstr(rc);
}

constexpr std::string_view kInMemory = ":memory:";

}  // namespace

Error sqlite_error(sqlite3* db, int rc, std::string_view sql) {
  std::string message = "sqlite: " + message_for(db, rc) + " (code " + std::to_string(rc) + ")";
  if (!sql.empty()) message += " in: " + std::string(sql);
  if (db != nullptr) {
    const char* file = sqlite3_db_filename(db, "main");
    if (file != nullptr && *file != '\0') message += " [" + std::string(file) + "]";
  }
  return make_error(errc_from_sqlite(rc), std::move(message));
}

// --- Database ---------------------------------------------------------------

Result<Database> Database::open(const std::string& path, int flags, int busy_timeout_ms, Sharing sharing) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, gathering_vfs_name());
  // Even a failed open may allocate a handle; owning it at once closes it.
  Database db(raw, path);
  if (rc != SQLITE_OK) {
    Error error = sqlite_error(raw, rc, "");
    error.message = "cannot open " + path + ": " + error.message;
    return error;
  }
  DFS_TRY(db.configure(flags, busy_timeout_ms, sharing));
  return db;
}

Status Database::configure(int flags, int busy_timeout_ms, Sharing sharing) {
  // Extended codes tell a primary-key conflict from other constraint errors.
  sqlite3_extended_result_codes(db_, 1);
  int rc = sqlite3_busy_timeout(db_, busy_timeout_ms);
  if (rc != SQLITE_OK) return sqlite_error(db_, rc, "sqlite3_busy_timeout");
  DFS_TRY(exec("PRAGMA foreign_keys = ON"));
  // Reading the setting back is the only way to know the pragma took: it is
  // silently ignored inside a transaction or in a build without FK support.
  DFS_ASSIGN_OR_RETURN(std::int64_t fk, query_int64("PRAGMA foreign_keys"));
  if (fk != 1) return make_error(Errc::internal, "sqlite: foreign keys cannot be enabled on " + path_);
  DFS_TRY(exec("PRAGMA cache_size = " + std::to_string(-kCacheKiB)));
  // Before the first read of the file: in WAL mode, SQLite then keeps the
  // WAL's index in memory instead of a -shm file (see Sharing::exclusive).
  if (sharing == Sharing::exclusive) DFS_TRY(exec("PRAGMA locking_mode = EXCLUSIVE"));
  if ((flags & SQLITE_OPEN_READWRITE) == 0) return {};
  // Why WAL and FULL: see the comment on Database::open in the header.
  DFS_ASSIGN_OR_RETURN(std::string mode, enable_wal(busy_timeout_ms));
  if (mode != "wal" && !(path_ == kInMemory && mode == "memory")) {
    // SQLite falls back to the old mode when WAL is impossible, e.g. on a
    // filesystem without shared-memory mmap (some network filesystems).
    return make_error(Errc::io_error, "sqlite: cannot enable WAL mode on " + path_ + " (journal mode stays '" + mode +
                                          "'); is it on a network filesystem?");
  }
  return set_synchronous_normal(false);
}

Status Database::set_synchronous_normal(bool normal) {
  // Through sqlite3_exec, not exec(): exec() may call this.
  const char* sql = normal ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = FULL";
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return sqlite_error(db_, rc, sql);
  synchronous_normal_ = normal;
  return {};
}

Status Database::sync_autocommit_writes() {
  if (!synchronous_normal_ || in_deferred_ || sqlite3_get_autocommit(db_) == 0) return {};
  return set_synchronous_normal(false);
}

Result<std::string> Database::enable_wal(int busy_timeout_ms) {
  // Switching a file into WAL takes an exclusive lock by upgrading a shared
  // one, and SQLite answers BUSY at once, without the busy handler, when
  // another connection holds a shared lock (waiting could deadlock two
  // upgraders). That happens when several connections open a new file at
  // the same time, so wait here instead, up to the same timeout. Once the
  // file is in WAL mode the pragma takes no lock and returns at once.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(busy_timeout_ms);
  for (;;) {
    Result<std::string> mode = query_text("PRAGMA journal_mode = WAL");
    if (mode.ok() || mode.error().code != Errc::timed_out || std::chrono::steady_clock::now() >= deadline) {
      return mode;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

// --- StatementCache ---------------------------------------------------------

// Compiled statements of one connection, idle, one per SQL text. The SQL
// in dfs is a fixed set of string constants, but a cap keeps a caller that
// builds SQL on the fly from growing it without bound.
class StatementCache {
 public:
  static constexpr std::size_t kMaxStatements = 128;

  ~StatementCache() { close(); }

  // An idle statement compiled from exactly `sql`, or null.
  sqlite3_stmt* take(std::string_view sql) {
    std::lock_guard lock(mu_);
    auto it = idle_.find(std::string(sql));
    if (it == idle_.end()) return nullptr;
    sqlite3_stmt* stmt = it->second;
    idle_.erase(it);
    return stmt;
  }

  // Takes a statement back: reset (which also ends the read transaction an
  // unfinished SELECT holds open) and unbound, or finalized if not wanted.
  void put(sqlite3_stmt* stmt) {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    std::lock_guard lock(mu_);
    if (closed_ || idle_.size() >= kMaxStatements || !idle_.emplace(sqlite3_sql(stmt), stmt).second) {
      sqlite3_finalize(stmt);
    }
  }

  // Before the connection closes: from now on statements are finalized.
  void close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    for (auto& [sql, stmt] : idle_) sqlite3_finalize(stmt);
    idle_.clear();
  }

 private:
  std::mutex mu_;  // guards idle_ and closed_ (a Statement may die on any thread)
  std::unordered_map<std::string, sqlite3_stmt*> idle_;
  bool closed_ = false;
};

// --- Database ---------------------------------------------------------------

Database::Database(sqlite3* db, std::string path)
    : db_(db), path_(std::move(path)), cache_(std::make_shared<StatementCache>()) {}

Database::~Database() { close(); }

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      path_(std::move(other.path_)),
      cache_(std::move(other.cache_)),
      synchronous_normal_(other.synchronous_normal_),
      in_deferred_(other.in_deferred_) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    close();
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
    cache_ = std::move(other.cache_);
    synchronous_normal_ = other.synchronous_normal_;
    in_deferred_ = other.in_deferred_;
  }
  return *this;
}

void Database::close() {
  if (db_ == nullptr) return;
  if (cache_) cache_->close();  // idle statements would keep the connection open
  // close_v2 defers the close if a Statement still exists (a bug, but one
  // that should not crash): the handle is freed when the last one goes.
  int rc = sqlite3_close_v2(db_);
  if (rc != SQLITE_OK) log::error("closing index " + path_ + ": " + sqlite3_errstr(rc));
  db_ = nullptr;
}

Status Database::exec(std::string_view sql) {
  DFS_TRY(sync_autocommit_writes());  // whether `sql` writes is not known here
  // sqlite3_exec needs a NUL-terminated string.
  std::string text(sql);
  char* errmsg = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &errmsg);
  sqlite3_free(errmsg);  // the same text is still in sqlite3_errmsg(db_)
  if (rc != SQLITE_OK) return sqlite_error(db_, rc, sql);
  return {};
}

Result<Statement> Database::prepare(std::string_view sql) {
  if (sql.size() > static_cast<std::size_t>(INT_MAX)) {
    return make_error(Errc::too_large, "sqlite: statement of " + std::to_string(sql.size()) + " bytes");
  }
  if (sqlite3_stmt* idle = cache_ ? cache_->take(sql) : nullptr) {
    Statement statement(idle, cache_);
    if (!sqlite3_stmt_readonly(idle)) DFS_TRY(sync_autocommit_writes());
    return statement;
  }
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, &tail);
  Statement statement(stmt, nullptr);
  if (rc != SQLITE_OK) return sqlite_error(db_, rc, sql);
  if (stmt == nullptr) return make_error(Errc::invalid_argument, "sqlite: empty statement: " + std::string(sql));
  // prepare() compiles one statement; silently dropping the rest would hide a bug.
  std::string_view rest(tail, static_cast<std::size_t>(sql.data() + sql.size() - tail));
  if (rest.find_first_not_of(" \t\r\n;") != std::string_view::npos) {
    return make_error(Errc::invalid_argument, "sqlite: more than one statement given to prepare: " + std::string(sql));
  }
  statement.home_ = cache_;
  if (!sqlite3_stmt_readonly(stmt)) DFS_TRY(sync_autocommit_writes());
  return statement;
}

Status Database::run(std::string_view sql) {
  DFS_ASSIGN_OR_RETURN(Statement stmt, prepare(sql));
  return stmt.run();
}

Result<std::int64_t> Database::query_int64(std::string_view sql) {
  DFS_ASSIGN_OR_RETURN(Statement stmt, prepare(sql));
  DFS_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return make_error(Errc::not_found, "sqlite: no row from: " + std::string(sql));
  return stmt.column_int64(0);
}

Result<std::string> Database::query_text(std::string_view sql) {
  DFS_ASSIGN_OR_RETURN(Statement stmt, prepare(sql));
  DFS_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return make_error(Errc::not_found, "sqlite: no row from: " + std::string(sql));
  return stmt.column_text(0);
}

std::int64_t Database::changes() const { return sqlite3_changes64(db_); }
std::int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
bool Database::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

Status Database::sync_wal() {
  // The WAL's file object, through the documented file-control: SQLite has
  // no "sync now" call, and a dummy write transaction would grow the WAL.
  sqlite3_file* wal = nullptr;
  int rc = sqlite3_file_control(db_, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal);
  if (rc != SQLITE_OK) return sqlite_error(db_, rc, "SQLITE_FCNTL_JOURNAL_POINTER");
  if (wal == nullptr || wal->pMethods == nullptr) return {};  // no WAL open: nothing was written
  rc = wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL);
  if (rc != SQLITE_OK) return sqlite_error(db_, rc, "fsync of the WAL");
  return {};
}

// --- Statement --------------------------------------------------------------

Statement::~Statement() { give_back(); }

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    give_back();
    stmt_ = std::exchange(other.stmt_, nullptr);
    home_ = std::move(other.home_);
  }
  return *this;
}

void Statement::give_back() {
  sqlite3_stmt* stmt = std::exchange(stmt_, nullptr);
  if (stmt == nullptr) return;
  if (home_) {
    std::exchange(home_, nullptr)->put(stmt);
  } else {
    sqlite3_finalize(stmt);
  }
}

Status Statement::check_bind(int rc) const {
  if (rc != SQLITE_OK) return sqlite_error(sqlite3_db_handle(stmt_), rc, sql());
  return {};
}

Status Statement::bind(int index, std::int64_t value) {
  return check_bind(sqlite3_bind_int64(stmt_, index, value));
}

Status Statement::bind(int index, std::string_view text) {
  // A null data pointer would bind SQL NULL; an empty string is not NULL.
  const char* data = text.data() != nullptr ? text.data() : "";
  return check_bind(sqlite3_bind_text64(stmt_, index, data, text.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
}

Status Statement::bind(int index, ByteView blob) {
  if (blob.empty()) return check_bind(sqlite3_bind_zeroblob(stmt_, index, 0));
  return check_bind(sqlite3_bind_blob64(stmt_, index, blob.data(), blob.size(), SQLITE_TRANSIENT));
}

Status Statement::bind_null(int index) { return check_bind(sqlite3_bind_null(stmt_, index)); }

Result<bool> Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Error error = sqlite_error(sqlite3_db_handle(stmt_), rc, sql());
  // A failed statement must be reset before it can run again.
  sqlite3_reset(stmt_);
  return error;
}

Status Statement::run() {
  for (;;) {
    DFS_ASSIGN_OR_RETURN(bool row, step());
    if (!row) return {};
  }
}

void Statement::reset() {
  // sqlite3_reset repeats the last step's error, which step() already returned.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool Statement::column_is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

std::int64_t Statement::column_int64(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Statement::column_text(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  // Read the size after the text: the conversion to text may change it.
  int size = sqlite3_column_bytes(stmt_, column);
  if (text == nullptr) return {};
  return std::string(text, static_cast<std::size_t>(size));
}

ByteView Statement::column_blob(int column) const {
  const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, column));
  int size = sqlite3_column_bytes(stmt_, column);
  if (data == nullptr) return {};
  return {data, static_cast<std::size_t>(size)};
}

std::string_view Statement::sql() const {
  const char* text = stmt_ != nullptr ? sqlite3_sql(stmt_) : nullptr;
  return text != nullptr ? std::string_view(text) : std::string_view();
}

// --- Transaction ------------------------------------------------------------

Result<Transaction> Transaction::begin(Database& db, Mode mode, Durability durability) {
  // SQLite refuses to change the setting inside a transaction; it applies
  // to the WAL write of the commit. Each transaction sets the level it
  // needs only if the connection is at the other one: a run of deferred
  // transactions (the mount's) stays at NORMAL, and a synced transaction
  // (a read one too: it may write) or a write outside any transaction
  // (Database::prepare, exec) puts FULL back first.
  const bool deferred = durability == Durability::deferred;
  if (db.synchronous_normal_ != deferred) DFS_TRY(db.set_synchronous_normal(deferred));
  db.in_deferred_ = deferred;  // BEGIN IMMEDIATE is a write to sqlite3_stmt_readonly
  Status begun = db.run(mode == Mode::immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
  if (!begun.ok()) {
    db.in_deferred_ = false;
    return begun.take_error();
  }
  return Transaction(&db, deferred);
}

Transaction& Transaction::operator=(Transaction&& other) noexcept {
  if (this != &other) {
    rollback();
    db_ = std::exchange(other.db_, nullptr);
    deferred_ = other.deferred_;
  }
  return *this;
}

Status Transaction::commit() {
  if (db_ == nullptr) return make_error(Errc::internal, "sqlite: commit of a transaction that is not open");
  DFS_TRY(db_->run("COMMIT"));  // on failure the destructor rolls back
  end();
  return {};
}

void Transaction::end() noexcept {
  Database* db = std::exchange(db_, nullptr);
  if (db != nullptr) db->in_deferred_ = false;
}

void Transaction::rollback() noexcept {
  // After some errors (SQLITE_FULL, IOERR, NOMEM, ...) SQLite has already
  // rolled the transaction back itself; a second ROLLBACK would fail.
  if (db_ != nullptr && db_->in_transaction()) {
    Status status = db_->run("ROLLBACK");
    if (!status.ok()) log::error("index rollback failed: " + status.error().to_string());
  }
  end();
}

}  // namespace dfs::index
