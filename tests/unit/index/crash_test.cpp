// Crash safety: a child process writes to the index and dies (SIGKILL or
// _exit, so no destructor, no rollback, no clean close); the parent then
// reopens the file and must see exactly the committed state.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <system_error>

#include "dfs/index/index.hpp"
#include "dfs/index/sqlite.hpp"
#include "index_test_util.hpp"

namespace dfs::index {
namespace {

using testing::file;
using testing::id;

// Exit codes a child uses to say which step failed before it could die as
// planned.
constexpr int kChildSetupFailed = 3;

enum class Death { sigkill, exit_without_cleanup };

[[noreturn]] void die(Death how) {
  if (how == Death::sigkill) ::kill(::getpid(), SIGKILL);
  ::_exit(0);
}

// Runs `body` in a forked child; returns its wait status. No SQLite
// connection may be open in the parent across fork(), so callers close
// theirs first (SQLite forbids using a connection in two processes).
int run_in_child(const std::function<void()>& body) {
  pid_t pid = ::fork();
  if (pid == 0) {
    body();
    ::_exit(0);
  }
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid) return -1;
  return status;
}

bool died_as_planned(int status, Death how) {
  if (how == Death::sigkill) return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// In the child: writes a second file and its refs inside a transaction that
// never commits. Forcing a tiny page cache makes SQLite spill uncommitted
// pages into the WAL, so the parent's recovery has real junk to ignore.
void write_uncommitted_then_die(const std::string& path, Death how) {
  auto db = Database::open(path);
  if (!db.ok() || !db->exec("PRAGMA cache_size = 8").ok()) ::_exit(kChildSetupFailed);
  auto tx = Transaction::begin(*db);
  if (!tx.ok()) ::_exit(kChildSetupFailed);
  FileRecord f = file(2);
  auto insert = db->prepare("INSERT INTO files (manifest_id, file_key, name, size, chunk_size, chunk_count, added_at) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?)");
  if (!insert.ok() || !insert->bind_all(f.manifest.bytes, f.key, f.name, std::int64_t{1}, std::int64_t{1},
                                        std::int64_t{1}, std::int64_t{1}).ok() ||
      !insert->run().ok()) {
    ::_exit(kChildSetupFailed);
  }
  auto ref = db->prepare("INSERT INTO chunk_refs VALUES (?, ?)");
  if (!ref.ok()) ::_exit(kChildSetupFailed);
  for (std::uint32_t n = 0; n < 5000; ++n) {
    if (!ref->bind_all(id(n).bytes, f.manifest.bytes).ok() || !ref->run().ok()) ::_exit(kChildSetupFailed);
    ref->reset();
  }
  die(how);
}

class CrashTest : public testing::IndexTest, public ::testing::WithParamInterface<Death> {};

TEST_P(CrashTest, AProcessThatDiesMidTransactionLeavesTheOldState) {
  {
    auto index = open_index();
    ASSERT_NE(index, nullptr);
    ASSERT_OK(index->record_file(file(1), {id(1)}));
  }
  int status = run_in_child([&] { write_uncommitted_then_die(path(), GetParam()); });
  ASSERT_TRUE(died_as_planned(status, GetParam())) << "child wait status " << status;
  // The clean close above removed the WAL; what is in it now is the dead
  // child's uncommitted pages.
  std::error_code ec;
  EXPECT_GT(std::filesystem::file_size(path() + "-wal", ec), 0u) << "the child spilled nothing: " << ec.message();

  auto index = open_index();
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(*index->list_files(), std::vector<FileRecord>{file(1)});
  EXPECT_EQ(*index->referenced_chunk_count(), 2u);  // id(1) and file(1)'s manifest
  // And the file is writable again: the dead writer's lock is gone.
  EXPECT_OK(index->record_file(file(3), {id(3)}));
}

TEST_P(CrashTest, AProcessThatDiesRightAfterCommittingKeepsItsCommit) {
  ASSERT_NE(open_index(), nullptr);  // created and migrated, then closed
  int status = run_in_child([&] {
    auto index = Index::open(path());
    if (!index.ok() || !(*index)->record_file(file(1), {id(1), id(2)}).ok()) ::_exit(kChildSetupFailed);
    // The Index is never destroyed: the WAL is not checkpointed or closed.
    die(GetParam());
  });
  ASSERT_TRUE(died_as_planned(status, GetParam())) << "child wait status " << status;

  auto index = open_index();
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(*index->list_files(), std::vector<FileRecord>{file(1)});
  EXPECT_EQ(*index->referenced_chunk_count(), 3u);  // and the manifest
}

// A namespace commit is deferred (not fsynced) and its WAL frames are
// gathered into one write (src/index/wal_vfs.hpp): it must still be in the
// file when commit() returns.
TEST_P(CrashTest, AProcessThatDiesRightAfterADeferredCommitKeepsIt) {
  ASSERT_NE(open_index(), nullptr);
  int status = run_in_child([&] {
    auto index = Index::open(path(), Database::Sharing::exclusive);
    if (!index.ok()) ::_exit(kChildSetupFailed);
    for (int n = 0; n < 3; ++n) {
      auto txn = (*index)->begin_namespace();
      if (!txn.ok()) ::_exit(kChildSetupFailed);
      InodeAttr inode;
      inode.mode = 0100644;
      inode.nlink = 1;
      auto ino = txn->create_inode(inode);
      if (!ino.ok() || !txn->add_entry(kRootIno, "file" + std::to_string(n), *ino).ok() || !txn->commit().ok()) {
        ::_exit(kChildSetupFailed);
      }
    }
    die(GetParam());
  });
  ASSERT_TRUE(died_as_planned(status, GetParam())) << "child wait status " << status;

  auto index = open_index();
  ASSERT_NE(index, nullptr);
  auto entries = index->list_dir(kRootIno);
  ASSERT_OK(entries);
  ASSERT_EQ(entries->size(), 3u);
  EXPECT_EQ((*entries)[2].name, "file2");
}

// A transaction bigger than its page cache spills frames before it commits,
// writes some pages again in place and rewrites the frames' checksums at
// the commit: what the WAL's writes look like when they are not a plain
// run of appended frames (src/index/wal_vfs.hpp). Recovery checks every
// frame's checksum, so a write left out shows as a lost commit.
TEST_P(CrashTest, AProcessThatDiesRightAfterCommittingASpilledTransactionKeepsIt) {
  ASSERT_NE(open_index(), nullptr);
  int status = run_in_child([&] {
    auto db = Database::open(path());
    if (!db.ok() || !db->exec("PRAGMA cache_size = 8").ok()) ::_exit(kChildSetupFailed);
    if (!db->exec("CREATE TABLE big (k INTEGER PRIMARY KEY, v BLOB)").ok()) ::_exit(kChildSetupFailed);
    auto tx = Transaction::begin(*db, Transaction::Mode::immediate, Transaction::Durability::deferred);
    if (!tx.ok()) ::_exit(kChildSetupFailed);
    for (int round = 0; round < 3; ++round) {  // the same rows again: pages already spilled change
      for (int k = 0; k < 200; ++k) {
        auto put = db->prepare("INSERT OR REPLACE INTO big (k, v) VALUES (?, randomblob(1500))");
        if (!put.ok() || !put->bind_all(std::int64_t{k}).ok() || !put->run().ok()) ::_exit(kChildSetupFailed);
      }
    }
    if (!tx->commit().ok()) ::_exit(kChildSetupFailed);
    die(GetParam());
  });
  ASSERT_TRUE(died_as_planned(status, GetParam())) << "child wait status " << status;

  auto db = open_raw();
  EXPECT_EQ(*db.query_text("PRAGMA integrity_check"), "ok");
  EXPECT_EQ(*db.query_int64("SELECT count(*) FROM big WHERE length(v) = 1500"), 200);
}

INSTANTIATE_TEST_SUITE_P(Deaths, CrashTest, ::testing::Values(Death::sigkill, Death::exit_without_cleanup),
                         [](const ::testing::TestParamInfo<Death>& info) {
                           return info.param == Death::sigkill ? std::string("KilledWithSigkill")
                                                               : std::string("ExitedWithoutCleanup");
                         });

using KilledWriterTest = testing::IndexTest;

TEST_F(KilledWriterTest, AWriterKilledWhileHoldingTheWriteLockDoesNotBlockTheNextOpen) {
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(ready[0]);
    auto db = Database::open(path());
    if (!db.ok()) ::_exit(kChildSetupFailed);
    auto tx = Transaction::begin(*db);
    if (!tx.ok() || !db->exec("CREATE TABLE junk (x)").ok()) ::_exit(kChildSetupFailed);
    char byte = 1;
    if (::write(ready[1], &byte, 1) != 1) ::_exit(kChildSetupFailed);
    ::pause();  // holds the write lock until killed
    ::_exit(0);
  }
  ::close(ready[1]);
  char byte = 0;
  const bool child_ready = ::read(ready[0], &byte, 1) == 1;
  ::close(ready[0]);
  // The child really holds the lock: a writer here would have to wait.
  auto probe = Database::open(path(), Database::kDefaultFlags, /*busy_timeout_ms=*/20);
  const bool lock_was_held = probe.ok() && !Transaction::begin(*probe).ok();
  ::kill(pid, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(child_ready) << "child failed before taking the write lock";
  EXPECT_TRUE(lock_was_held);

  auto index = open_index();  // migrates: needs the write lock the child held
  ASSERT_NE(index, nullptr);
  EXPECT_OK(index->record_file(file(1), {}));
  Database db = open_raw();
  EXPECT_FALSE(db.query_int64("SELECT count(*) FROM junk").ok());
}

}  // namespace
}  // namespace dfs::index
