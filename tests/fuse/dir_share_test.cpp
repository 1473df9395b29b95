// Sharing a directory by one ID, with real mounts and real programs: a
// directory's ID from getfattr and from `dfs id`, its tree browsed
// read-only with ls and cat under .dfs/ids/<dirID>, and, across peers on
// 127.0.0.x, a tree shared at mount A listed, read and placed with
// `dfs open` at a mount D that joins later and holds none of its chunks;
// an edit at D leaves A's snapshot ID as it was.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "multi_peer_fixture.hpp"

namespace dfs::fuse::test {
namespace {

namespace stdfs = std::filesystem;
using dfs::testing::binary_from_env;
using dfs::testing::ProcessResult;
using dfs::testing::run_process;

constexpr std::size_t kBigFileSize = (3u << 19) + 777;  // two 1 MiB chunks, the second partial

ProcessResult sh(const std::string& script, const std::string& arg) {
  return run_process("/bin/sh", {"-c", script, "sh", arg});
}

class DirShare : public MultiPeerFixture {
 protected:
  // MOUNT/tree: top.txt, link -> top.txt, empty/, sub/file (two chunks).
  std::string make_tree(const std::string& peer) {
    const std::string tree = mnt(peer) + "/tree";
    stdfs::create_directories(tree + "/sub");
    stdfs::create_directories(tree + "/empty");
    write_file(tree + "/top.txt", "top");
    stdfs::create_symlink("top.txt", tree + "/link");
    write_file(tree + "/sub/file", big_);
    return tree;
  }

  // `ls DIR`, one name a line.
  std::string ls(const std::string& dir) {
    auto r = run_process("/bin/ls", {dir});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }

  // Expects the shell `script` (its $1 is `path`) to fail with EROFS.
  void expect_read_only(const std::string& script, const std::string& path) {
    auto r = sh(script, path);
    EXPECT_NE(r.exit_code, 0) << script << " " << path;
    EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << script << ": " << r.err;
  }

  const std::string big_ = random_content(kBigFileSize, 12);
};

TEST_F(DirShare, GetfattrAndDfsIdGiveADirectorysIdWhoseTreeDotDfsIdsBrowsesReadOnly) {
  start_mount("A", 11);
  const std::string tree = make_tree("A");
  auto attr = run_process("/usr/bin/getfattr", {"--only-values", "-n", "user.dfs.id", tree});
  ASSERT_EQ(attr.exit_code, 0) << attr.err;
  const std::string id = id_of(tree);
  EXPECT_EQ(attr.out, id);
  EXPECT_EQ(id.rfind("dfs1d", 0), 0u) << "a directory ID: " << id;
  EXPECT_EQ(id_of(tree + "/sub/file").rfind("dfs1f", 0), 0u);
  EXPECT_EQ(id_of(tree), id) << "an unchanged tree keeps its ID";

  const std::string shared = mnt("A") + "/.dfs/ids/" + id;
  EXPECT_EQ(ls(shared), "empty\nlink\nsub\ntop.txt\n");
  EXPECT_EQ(ls(shared + "/sub"), "file\n");
  EXPECT_EQ(ls(shared + "/empty"), "");
  auto cat = run_process("/bin/cat", {shared + "/sub/file"});
  EXPECT_EQ(cat.exit_code, 0) << cat.err;
  EXPECT_TRUE(cat.out == big_) << "cat of the shared file";
  EXPECT_EQ(read_file(shared + "/link"), "top");
  expect_read_only("echo x >> \"$1\"", shared + "/top.txt");
  expect_read_only("touch \"$1\"", shared + "/sub/new");
  expect_read_only("rm \"$1\"", shared + "/sub/file");
  expect_read_only("mkdir \"$1\"", shared + "/empty/d");
  expect_read_only("mv \"$1\" \"$1.moved\"", shared + "/top.txt");

  // A change makes a new ID; the old one still reads the tree as it was.
  write_file(tree + "/sub/later", "later");
  EXPECT_NE(id_of(tree), id);
  EXPECT_EQ(ls(shared + "/sub"), "file\n");
}

TEST_F(DirShare, ADirectorySharedAtOneMountIsBrowsedAndOpenedAtAnotherThatHeldNoneOfIt) {
  start_mount("A", 11);
  start_node("node0", 12);
  wait_for_peers("A", 1);
  const std::string tree = make_tree("A");
  ASSERT_EQ(run_process("/bin/sync", {tree + "/top.txt", tree + "/sub/file"}).exit_code, 0);
  const std::string id = id_of(tree);
  // The node is sent the files' chunks and the snapshot's: D, joining
  // after, is sent none and must fetch all it reads.
  wait_for_copies("node0", "A");
  start_mount("D", 20);
  wait_for_peers("D", 2);
  ASSERT_EQ(chunks_held("D"), 0u) << "the reader must fetch, not hold the chunks already";

  const std::string shared = mnt("D") + "/.dfs/ids/" + id;
  EXPECT_EQ(ls(shared), "empty\nlink\nsub\ntop.txt\n");
  EXPECT_TRUE(read_file(shared + "/sub/file") == big_) << "read through .dfs/ids at D";
  EXPECT_GT(chunks_held("D"), 0u);

  auto opened = dfs("D", {"open", id, mnt("D") + "/placed"});
  ASSERT_EQ(opened.exit_code, 0) << opened.err;
  EXPECT_EQ(opened.out, mnt("D") + "/placed\n");
  const std::string placed = mnt("D") + "/placed";
  EXPECT_EQ(ls(placed), "empty\nlink\nsub\ntop.txt\n");
  EXPECT_TRUE(read_file(placed + "/sub/file") == big_) << "read through dfs open at D";
  EXPECT_EQ(stdfs::read_symlink(placed + "/link"), "top.txt");
  EXPECT_TRUE(stdfs::is_directory(placed + "/empty"));

  // An edit at D makes D's own versions; A's snapshot and files stay.
  write_file(placed + "/top.txt", "edited at D");
  EXPECT_EQ(read_file(placed + "/top.txt"), "edited at D");
  EXPECT_NE(id_of(placed), id);
  EXPECT_EQ(read_file(shared + "/top.txt"), "top") << "the sharer's version, at D";
  EXPECT_EQ(read_file(tree + "/top.txt"), "top");
  EXPECT_EQ(id_of(tree), id) << "A's snapshot is unchanged";
}

}  // namespace
}  // namespace dfs::fuse::test
