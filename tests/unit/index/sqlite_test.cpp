// The RAII SQLite wrappers: connection settings, statements, transactions
// and the errors they report.
#include "dfs/index/sqlite.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "index_test_util.hpp"

namespace dfs::index {
namespace {

using testing::IndexTest;

class SqliteTest : public IndexTest {
 protected:
  void SetUp() override {
    IndexTest::SetUp();
    db_ = open_raw();
    ASSERT_OK(db_.exec("CREATE TABLE t (k INTEGER PRIMARY KEY, s TEXT, b BLOB)"));
  }

  std::int64_t count_rows() {
    auto n = db_.query_int64("SELECT count(*) FROM t");
    EXPECT_OK(n);
    return n.ok() ? *n : -1;
  }

  Database db_;
};

TEST_F(SqliteTest, OpenTurnsOnWalModeAndItStaysOnInTheFile) {
  EXPECT_EQ(*db_.query_text("PRAGMA journal_mode"), "wal");
  db_ = Database();
  // WAL is a property of the file: a plain connection sees it too.
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path().c_str(), &raw), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(raw, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(raw);
}

TEST_F(SqliteTest, OpenTurnsOnForeignKeysFullSynchronousABusyTimeoutAndABigPageCache) {
  EXPECT_EQ(*db_.query_int64("PRAGMA foreign_keys"), 1);
  EXPECT_EQ(*db_.query_int64("PRAGMA synchronous"), 2);  // 2 = FULL
  EXPECT_EQ(*db_.query_int64("PRAGMA busy_timeout"), Database::kDefaultBusyTimeoutMs);
  EXPECT_EQ(*db_.query_int64("PRAGMA cache_size"), -Database::kCacheKiB);  // negative: in KiB
}

// A deferred transaction commits at synchronous=NORMAL; the connection
// stays there for the next deferred one (each change of the level is a
// parse of the pragma) and is FULL again before anything else can write:
// a synced transaction, a read transaction (it may write), a write
// statement or exec() outside any transaction.
TEST_F(SqliteTest, SynchronousIsNormalOnlyForDeferredTransactions) {
  auto level = [&] { return *db_.query_int64("PRAGMA synchronous"); };  // 1 NORMAL, 2 FULL
  auto deferred = [&](int k) {
    auto tx = Transaction::begin(db_, Transaction::Mode::immediate, Transaction::Durability::deferred);
    ASSERT_OK(tx);
    EXPECT_EQ(level(), 1);
    auto insert = db_.prepare("INSERT INTO t (k) VALUES (?)");
    ASSERT_OK(insert);
    ASSERT_OK(insert->bind_all(std::int64_t{k}));
    ASSERT_OK(insert->run());
    ASSERT_OK(tx->commit());
  };
  deferred(1);
  EXPECT_EQ(level(), 1) << "kept for the next deferred transaction";
  deferred(2);
  {
    auto tx = Transaction::begin(db_);
    ASSERT_OK(tx);
    EXPECT_EQ(level(), 2);
    ASSERT_OK(tx->commit());
  }
  deferred(3);
  {
    auto tx = Transaction::begin(db_, Transaction::Mode::deferred);
    ASSERT_OK(tx);
    EXPECT_EQ(level(), 2);
  }
  deferred(4);
  EXPECT_EQ(*db_.query_int64("SELECT count(*) FROM t"), 4);
  EXPECT_EQ(level(), 1) << "reads leave it";
  auto write = db_.prepare("UPDATE t SET s = 'x' WHERE k = 1");
  ASSERT_OK(write);
  EXPECT_EQ(level(), 2) << "a write outside a transaction commits synced";
  ASSERT_OK(write->run());
  deferred(5);
  {  // a failed deferred transaction leaves NORMAL, which the next write outside puts back
    auto tx = Transaction::begin(db_, Transaction::Mode::immediate, Transaction::Durability::deferred);
    ASSERT_OK(tx);
  }
  ASSERT_OK(db_.exec("DELETE FROM t WHERE k = 5"));
  EXPECT_EQ(level(), 2);
}

TEST_F(SqliteTest, BoundValuesComeBackFromColumnsUnchanged) {
  const Bytes blob = {0, 1, 2, 0xff, 0};
  auto insert = db_.prepare("INSERT INTO t (k, s, b) VALUES (?, ?, ?)");
  ASSERT_OK(insert);
  ASSERT_OK(insert->bind_all(std::int64_t{-42}, std::string("h\xc3\xa9llo"), ByteView(blob)));
  ASSERT_OK(insert->run());

  auto select = db_.prepare("SELECT k, s, b FROM t");
  ASSERT_OK(select);
  auto row = select->step();
  ASSERT_OK(row);
  ASSERT_TRUE(*row);
  EXPECT_EQ(select->column_int64(0), -42);
  EXPECT_EQ(select->column_text(1), "h\xc3\xa9llo");
  ByteView got = select->column_blob(2);
  EXPECT_EQ(Bytes(got.begin(), got.end()), blob);
  auto end = select->step();
  ASSERT_OK(end);
  EXPECT_FALSE(*end);
}

TEST_F(SqliteTest, EmptyTextAndEmptyBlobAreNotNull) {
  auto insert = db_.prepare("INSERT INTO t (k, s, b) VALUES (1, ?, ?)");
  ASSERT_OK(insert);
  ASSERT_OK(insert->bind_all(std::string_view(), ByteView()));
  ASSERT_OK(insert->run());
  EXPECT_EQ(*db_.query_int64("SELECT count(*) FROM t WHERE s IS NOT NULL AND b IS NOT NULL"), 1);
}

TEST_F(SqliteTest, AnEmptyOptionalBindsNull) {
  auto insert = db_.prepare("INSERT INTO t (k, s) VALUES (1, ?)");
  ASSERT_OK(insert);
  ASSERT_OK(insert->bind(1, std::optional<std::string>()));
  ASSERT_OK(insert->run());
  auto select = db_.prepare("SELECT s FROM t");
  ASSERT_OK(select);
  ASSERT_TRUE(*select->step());
  EXPECT_TRUE(select->column_is_null(0));
}

TEST_F(SqliteTest, AResetStatementRunsAgainWithNewBindings) {
  auto insert = db_.prepare("INSERT INTO t (k) VALUES (?)");
  ASSERT_OK(insert);
  for (std::int64_t k = 1; k <= 3; ++k) {
    ASSERT_OK(insert->bind(1, k));
    ASSERT_OK(insert->run());
    insert->reset();
  }
  EXPECT_EQ(count_rows(), 3);
}

TEST_F(SqliteTest, AStatementPreparedAgainComesBackResetAndUnbound) {
  ASSERT_OK(db_.exec("INSERT INTO t (k) VALUES (1), (2)"));
  const std::string_view sql = "SELECT k, ? FROM t ORDER BY k";
  {
    auto first = db_.prepare(sql);
    ASSERT_OK(first);
    ASSERT_OK(first->bind(1, std::int64_t{7}));
    ASSERT_TRUE(*first->step());  // left in the middle of its rows
  }
  auto again = db_.prepare(sql);
  ASSERT_OK(again);
  ASSERT_TRUE(*again->step());
  EXPECT_EQ(again->column_int64(0), 1);  // from the first row, not the second
  EXPECT_TRUE(again->column_is_null(1));  // the old binding is gone
}

TEST_F(SqliteTest, TwoLiveStatementsOfTheSameSqlAreIndependent) {
  const std::string_view sql = "SELECT ?";
  auto a = db_.prepare(sql);
  auto b = db_.prepare(sql);
  ASSERT_OK(a);
  ASSERT_OK(b);
  ASSERT_OK(a->bind(1, std::int64_t{1}));
  ASSERT_OK(b->bind(1, std::int64_t{2}));
  ASSERT_TRUE(*a->step());
  ASSERT_TRUE(*b->step());
  EXPECT_EQ(a->column_int64(0), 1);
  EXPECT_EQ(b->column_int64(0), 2);
}

TEST_F(SqliteTest, AStatementPreparedAgainSeesAChangedSchema) {
  { ASSERT_OK(db_.prepare("SELECT * FROM t")); }
  ASSERT_OK(db_.exec("DROP TABLE t; CREATE TABLE t (only INTEGER)"));
  ASSERT_OK(db_.exec("INSERT INTO t VALUES (5)"));
  auto select = db_.prepare("SELECT * FROM t");
  ASSERT_OK(select);
  ASSERT_TRUE(*select->step());
  EXPECT_EQ(select->column_int64(0), 5);
}

TEST_F(SqliteTest, AStatementThatOutlivesItsDatabaseIsStillFinalized) {
  Statement survivor;
  {
    Database db = open_raw();
    auto stmt = db.prepare("SELECT 1");
    ASSERT_OK(stmt);
    survivor = std::move(*stmt);
  }
  ASSERT_TRUE(*survivor.step());  // close_v2 kept the connection for it
  EXPECT_EQ(survivor.column_int64(0), 1);
}

TEST_F(SqliteTest, ABadStatementFailsWithSqlitesMessageAndTheSql) {
  auto stmt = db_.prepare("SELECT nope FROM t");
  ASSERT_FALSE(stmt.ok());
  EXPECT_NE(stmt.error().message.find("no such column: nope"), std::string::npos) << stmt.error().message;
  EXPECT_NE(stmt.error().message.find("SELECT nope FROM t"), std::string::npos) << stmt.error().message;
}

TEST_F(SqliteTest, APrimaryKeyConflictIsAlreadyExists) {
  ASSERT_OK(db_.exec("INSERT INTO t (k) VALUES (1)"));
  auto insert = db_.prepare("INSERT INTO t (k) VALUES (1)");
  ASSERT_OK(insert);
  Status status = insert->run();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Errc::already_exists);
  EXPECT_NE(status.error().message.find("UNIQUE constraint failed: t.k"), std::string::npos);
  EXPECT_NE(status.error().message.find("INSERT INTO t"), std::string::npos);
}

TEST_F(SqliteTest, BindingAParameterThatDoesNotExistFails) {
  auto stmt = db_.prepare("SELECT ?");
  ASSERT_OK(stmt);
  Status status = stmt->bind(2, std::int64_t{1});
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Errc::invalid_argument);
}

TEST_F(SqliteTest, PrepareRefusesTwoStatementsRatherThanDroppingOne) {
  auto stmt = db_.prepare("SELECT 1; DROP TABLE t");
  ASSERT_FALSE(stmt.ok());
  EXPECT_EQ(stmt.error().code, Errc::invalid_argument);
  EXPECT_EQ(count_rows(), 0);  // the table is still there
}

TEST_F(SqliteTest, ACommittedTransactionKeepsItsWrites) {
  auto tx = Transaction::begin(db_);
  ASSERT_OK(tx);
  ASSERT_OK(db_.exec("INSERT INTO t (k) VALUES (1)"));
  ASSERT_OK(tx->commit());
  EXPECT_FALSE(db_.in_transaction());
  EXPECT_EQ(count_rows(), 1);
}

TEST_F(SqliteTest, ATransactionRollsBackWhenAFailingSecondStatementEndsIt) {
  auto write_two = [&]() -> Status {
    DFS_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(db_));
    DFS_TRY(db_.exec("INSERT INTO t (k) VALUES (1)"));
    DFS_TRY(db_.exec("INSERT INTO t (k) VALUES (1)"));  // conflicts
    return tx.commit();
  };
  Status status = write_two();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Errc::already_exists);
  EXPECT_FALSE(db_.in_transaction());
  EXPECT_EQ(count_rows(), 0);
}

TEST_F(SqliteTest, AMovedTransactionRollsBackOnlyOnce) {
  {
    auto tx = Transaction::begin(db_);
    ASSERT_OK(tx);
    ASSERT_OK(db_.exec("INSERT INTO t (k) VALUES (1)"));
    Transaction moved = std::move(tx).value();
    Transaction again = std::move(moved);
  }
  EXPECT_FALSE(db_.in_transaction());
  EXPECT_EQ(count_rows(), 0);
}

TEST_F(SqliteTest, ASecondWriterWaitsForTheBusyTimeoutThenFailsAsTimedOut) {
  auto other = Database::open(path(), Database::kDefaultFlags, /*busy_timeout_ms=*/50);
  ASSERT_OK(other);
  auto tx = Transaction::begin(db_);
  ASSERT_OK(tx);
  auto blocked = Transaction::begin(*other);
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.error().code, Errc::timed_out);
}

TEST_F(SqliteTest, ReadersSeeTheLastCommitWhileAWriterIsInATransaction) {
  ASSERT_OK(db_.exec("INSERT INTO t (k) VALUES (1)"));
  auto reader = Database::open(path());
  ASSERT_OK(reader);
  auto tx = Transaction::begin(db_);
  ASSERT_OK(tx);
  ASSERT_OK(db_.exec("INSERT INTO t (k) VALUES (2)"));
  // WAL: the reader neither blocks nor sees the uncommitted row.
  EXPECT_EQ(*reader->query_int64("SELECT count(*) FROM t"), 1);
  ASSERT_OK(tx->commit());
  EXPECT_EQ(*reader->query_int64("SELECT count(*) FROM t"), 2);
}

TEST_F(SqliteTest, AnExclusiveConnectionKeepsOthersOutAndUsesNoSharedMemoryFile) {
  std::string file = dir_.file("exclusive.db");
  auto owner = Database::open(file, Database::kDefaultFlags, Database::kDefaultBusyTimeoutMs,
                              Database::Sharing::exclusive);
  ASSERT_OK(owner);
  ASSERT_OK(owner->exec("CREATE TABLE t (k INTEGER PRIMARY KEY); INSERT INTO t (k) VALUES (1)"));
  EXPECT_EQ(*owner->query_text("PRAGMA journal_mode"), "wal");
  EXPECT_FALSE(std::filesystem::exists(file + "-shm"));
  auto other = Database::open(file, SQLITE_OPEN_READONLY, /*busy_timeout_ms=*/50);
  if (other.ok()) {
    auto read = other->query_int64("SELECT count(*) FROM t");
    ASSERT_FALSE(read.ok());
    EXPECT_EQ(read.error().code, Errc::timed_out);
  }
  // Once it is closed, the next connection finds every commit in the WAL.
  owner = Database();
  auto after = Database::open(file);
  ASSERT_OK(after);
  EXPECT_EQ(*after->query_int64("SELECT count(*) FROM t"), 1);
}

// Write syscalls of this process so far (/proc/self/io's syscw).
std::int64_t write_calls() {
  std::ifstream io("/proc/self/io");
  std::string key;
  std::int64_t value = -1;
  while (io >> key >> value) {
    if (key == "syscw:") return value;
  }
  return -1;
}

// Whether write_calls() counts only this code's writes: ASan's runtime
// writes to a pipe of its own to probe memory (dozens of 16-byte writes in
// this test), and /proc/self/io counts those too.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kWritesCountable = false;
#else
constexpr bool kWritesCountable = true;
#endif

// SQLite writes a WAL frame as two writes (header, page); the frames of a
// commit go to the file in one (src/index/wal_vfs.hpp).
TEST_F(SqliteTest, ACommitOfManyPagesWritesTheWalOnce) {
  ASSERT_OK(db_.exec("INSERT INTO t (k) VALUES (0)"));  // the WAL exists, its header written
  const std::string big(3000, 'x');
  for (const auto durability : {Transaction::Durability::deferred, Transaction::Durability::synced}) {
    auto tx = Transaction::begin(db_, Transaction::Mode::immediate, durability);
    ASSERT_OK(tx);
    for (int k = 0; k < 10; ++k) {  // about one page each
      auto insert = db_.prepare("INSERT INTO t (s) VALUES (?)");
      ASSERT_OK(insert);
      ASSERT_OK(insert->bind_all(big + std::to_string(k)));
      ASSERT_OK(insert->run());
    }
    const std::int64_t before = write_calls();
    ASSERT_GE(before, 0) << "no syscw in /proc/self/io";
    ASSERT_OK(tx->commit());
    if (kWritesCountable) {
      EXPECT_LE(write_calls() - before, 1) << "for 10 or more frames";
    }
  }
  EXPECT_EQ(count_rows(), 21);
  // A commit bigger than one gathered run (kMaxGathered) is written whole.
  auto tx = Transaction::begin(db_, Transaction::Mode::immediate, Transaction::Durability::deferred);
  ASSERT_OK(tx);
  ASSERT_OK(db_.exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) "
                     "INSERT INTO t (s) SELECT printf('%.3000c', 'y') FROM n"));
  ASSERT_OK(tx->commit());
  EXPECT_EQ(count_rows(), 121);
  // And another connection (reading the WAL from the file) sees them all.
  auto other = Database::open(path());
  ASSERT_OK(other);
  EXPECT_EQ(*other->query_int64("SELECT count(*) FROM t WHERE length(s) >= 3000"), 120);
  EXPECT_EQ(*other->query_text("PRAGMA integrity_check"), "ok");
}

TEST_F(SqliteTest, AFileThatIsNotADatabaseIsReportedAsCorrupt) {
  std::string junk = dir_.file("junk.db");
  FILE* f = std::fopen(junk.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("this is not an SQLite database, not even close; it is long enough to have a header", f);
  std::fclose(f);
  auto db = Database::open(junk);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().code, Errc::corrupt);
}

TEST_F(SqliteTest, OpeningWithoutCreateFailsForAMissingFile) {
  auto db = Database::open(dir_.file("missing.db"), SQLITE_OPEN_READWRITE);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().code, Errc::io_error);
  EXPECT_NE(db.error().message.find("missing.db"), std::string::npos);
}

}  // namespace
}  // namespace dfs::index
