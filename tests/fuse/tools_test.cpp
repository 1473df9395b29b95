// Real programs on the mount: cp, tar, git, rsync, sqlite3, getfattr.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "mount_fixture.hpp"

namespace dfs::fuse::test {
namespace {

// A source tree to copy: this repository's sources, plus a symlink, an
// empty directory, an empty file and odd modes.
std::string source_tree() {
  static const std::string tree = [] {
    const char* src = std::getenv("DFS_SOURCE_DIR");
    const std::string root = src != nullptr ? src : ".";
    const std::string out = scratch_dir() + "/tree";
    EXPECT_EQ(sh("rm -rf " + out + " && mkdir -p " + out + " && cp -a " + root + "/src " + root + "/include " + out +
                 " && cd " + out + " && ln -s src/meson.build link && mkdir -p empty/dir && : > empty-file" +
                 " && chmod 0600 empty-file && chmod 0751 empty && head -c 3000000 /dev/urandom > big.bin"),
              0);
    return out;
  }();
  return tree;
}

TEST(Tools, CpDashARoundTripKeepsTreeModesAndTimes) {
  const std::string tree = source_tree();
  const std::string dir = fresh_dir("cp");
  const std::string back = scratch_dir() + "/cp-back";
  ASSERT_EQ(sh("cp -a " + tree + " " + dir + "/t && diff -r --no-dereference " + tree + " " + dir + "/t"), 0);
  ASSERT_EQ(sh("rm -rf " + back + " && cp -a " + dir + "/t " + back + " && diff -r --no-dereference " + tree + " " +
               back),
            0);
  // cp -a keeps modes and mtimes both ways.
  ASSERT_EQ(sh("cd " + tree + " && find . -printf '%p %m %T@ %y\\n' | sort > ../a.list && cd " + back +
               " && find . -printf '%p %m %T@ %y\\n' | sort > ../b.list && cd " + dir +
               "/t && find . -printf '%p %m %T@ %y\\n' | sort > " + scratch_dir() + "/c.list && diff " + scratch_dir() +
               "/a.list " + scratch_dir() + "/b.list && diff " + scratch_dir() + "/a.list " + scratch_dir() +
               "/c.list"),
            0);
}

TEST(Tools, TarRoundTrip) {
  const std::string tree = source_tree();
  const std::string dir = fresh_dir("tar");
  const std::string out = scratch_dir() + "/tar-out";
  ASSERT_EQ(sh("tar -C " + tree + " -cf - . | tar -C " + dir + " -xpf - && rm -rf " + out + " && mkdir " + out +
               " && tar -C " + dir + " -cf " + scratch_dir() + "/t.tar . && tar -C " + out + " -xpf " + scratch_dir() +
               "/t.tar && diff -r --no-dereference " + tree + " " + out +
               " && tar -C " + dir + " -df " + scratch_dir() + "/t.tar"),
            0);
}

TEST(Tools, GitInitAddCommitAndFsck) {
  const std::string tree = source_tree();
  const std::string dir = fresh_dir("git");
  ASSERT_EQ(sh("cd " + dir + " && git init -q repo && cd repo && cp -a " + tree + "/src . && git add -A && "
               "git -c user.name=t -c user.email=t@example.com commit -qm one && echo change >> src/meson.build && "
               "git -c user.name=t -c user.email=t@example.com commit -qam two && git gc -q && "
               "git fsck --strict --full && test \"$(git rev-list --count HEAD)\" = 2 && git status --porcelain | "
               "(! grep .) && git clone -q . ../clone && diff -r src ../clone/src"),
            0);
}

TEST(Tools, RsyncArchiveInAndOutThenNothingToDo) {
  const std::string tree = source_tree();
  const std::string dir = fresh_dir("rsync");
  const std::string back = scratch_dir() + "/rsync-back";
  std::string second;
  ASSERT_EQ(sh("rsync -a " + tree + "/ " + dir + "/ && diff -r --no-dereference " + tree + " " + dir +
               " && rm -rf " + back + " && rsync -a " + dir + "/ " + back + "/ && diff -r --no-dereference " + tree +
               " " + back),
            0);
  // A second run finds sizes and mtimes equal: nothing is transferred.
  ASSERT_EQ(sh("rsync -a --itemize-changes " + tree + "/ " + dir + "/", &second), 0) << second;
  EXPECT_EQ(second, "");
  ASSERT_EQ(sh("echo more >> " + tree + "/src/meson.build && rsync -a --delete " + tree + "/ " + dir +
               "/ && diff -r --no-dereference " + tree + " " + dir),
            0);
}

TEST(Tools, SqliteTransactionsInRollbackAndWalModes) {
  const std::string dir = fresh_dir("sqlite");
  for (const std::string mode : {"delete", "wal"}) {
    std::string out;
    ASSERT_EQ(sh("cd " + dir + " && sqlite3 " + mode + ".db \"PRAGMA journal_mode=" + mode +
                     "; CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT);\" >/dev/null && "
                     "for i in $(seq 1 20); do sqlite3 " + mode + ".db \"BEGIN; WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL "
                     "SELECT x+1 FROM c WHERE x<200) INSERT INTO t(v) SELECT hex(randomblob(100)) FROM c; COMMIT;\"; done && "
                     "sqlite3 " + mode + ".db \"BEGIN; DELETE FROM t WHERE k % 2 = 0; ROLLBACK;\" && "
                     "sqlite3 " + mode + ".db 'PRAGMA integrity_check; SELECT count(*) FROM t;'",
                 &out),
              0)
        << out;
    EXPECT_EQ(out, "ok\n4000\n") << mode;
  }
}

TEST(Tools, GetfattrPrintsTheIdAndCatReadsItThroughDotDfsIds) {
  const std::string dir = fresh_dir("ids");
  std::string out;
  ASSERT_EQ(sh("cd " + dir + " && head -c 2500000 /dev/urandom > f && id=$(getfattr --only-values -n user.dfs.id f) && "
                   "case $id in dfs1*) ;; *) echo \"bad id $id\"; exit 1;; esac && cmp f " + mount_dir() +
                   "/.dfs/ids/$id && setfattr -n user.color -v blue f && getfattr -n user.color --only-values f",
               &out),
            0)
      << out;
  EXPECT_EQ(out, "blue");
}

}  // namespace
}  // namespace dfs::fuse::test
