// Sharing by File ID across peers, with real processes on 127.0.0.x: a
// dfsmount A and headless `dfs node` peers bootstrapped to it, and a second
// dfsmount D (the reader) that joins after A wrote the file, so that it
// holds none of its chunks and every byte it reads came over the network.
// A file copied into mount A is read bit-exact at D through .dfs/ids/<ID>
// and through `dfs open`; an edit of the opened copy makes a new version
// with a new ID and leaves A's untouched.
#include <signal.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "multi_peer_fixture.hpp"

namespace dfs::fuse::test {
namespace {

namespace stdfs = std::filesystem;
using dfs::testing::binary_from_env;
using dfs::testing::run_process;

constexpr std::size_t kFileSize = (5u << 20) + 12345;  // six 1 MiB chunks, the last one partial
constexpr std::size_t kChunksOfTheFile = 7;  // six data chunks and the manifest

class MultiPeer : public MultiPeerFixture {
 protected:
  // Mount A and `nodes` headless peers, a file copied into A, then the
  // reader mount D joining: returns the file's ID.
  std::string share_from_a(int nodes) {
    start_mount("A", 11);
    for (int i = 0; i < nodes; ++i) start_node("node" + std::to_string(i), 12 + i);
    wait_for_peers("A", nodes);
    write_file(dir_ + "/original", content_);
    EXPECT_EQ(run_process("/bin/cp", {dir_ + "/original", mnt("A") + "/file"}).exit_code, 0);
    // fsync returns once the R closest peers (all of them, here) hold the
    // chunks: D, joining later, is sent none and must fetch every one.
    EXPECT_EQ(run_process("/bin/sync", {mnt("A") + "/file"}).exit_code, 0);
    for (int i = 0; i < nodes; ++i) wait_for_chunks("node" + std::to_string(i), kChunksOfTheFile);
    const std::string id = id_of(mnt("A") + "/file");
    start_mount("D", 20);
    wait_for_peers("D", nodes + 1);
    return id;
  }

  // The whole story at D, for a network of A, `nodes` nodes and D. The
  // first read at D (through .dfs/ids, or through dfs open when
  // `open_first`) is the one that fetches.
  void check_sharing(int nodes, bool open_first) {
    const std::string id = share_from_a(nodes);
    if (HasFatalFailure()) return;
    ASSERT_EQ(chunks_held("D"), 0u) << "the reader must fetch, not hold the chunks already";

    const auto read_by_id = [&] {
      EXPECT_TRUE(read_file(mnt("D") + "/.dfs/ids/" + id) == content_) << "read through .dfs/ids at D";
    };
    const auto read_opened = [&] {
      auto opened = dfs("D", {"open", id, mnt("D") + "/opened"});
      ASSERT_EQ(opened.exit_code, 0) << opened.err;
      EXPECT_EQ(opened.out, mnt("D") + "/opened\n");
      EXPECT_TRUE(read_file(mnt("D") + "/opened") == content_) << "read through dfs open at D";
      EXPECT_EQ(id_of(mnt("D") + "/opened"), id);
    };
    if (open_first) read_opened(); else read_by_id();
    if (HasFatalFailure()) return;
    EXPECT_GE(chunks_held("D"), kChunksOfTheFile) << "six data chunks and the manifest came over the network";
    if (open_first) read_by_id(); else read_opened();
    if (HasFatalFailure()) return;

    // An edit at D makes D's own version; A's ID still reads the original.
    {
      std::fstream f(mnt("D") + "/opened", std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(3 << 20);
      f.write("edited at D", 11);
    }
    std::string edited = content_;
    edited.replace(3 << 20, 11, "edited at D");
    const std::string new_id = id_of(mnt("D") + "/opened");
    EXPECT_NE(new_id, id);
    EXPECT_TRUE(read_file(mnt("D") + "/opened") == edited);
    EXPECT_TRUE(read_file(mnt("D") + "/.dfs/ids/" + id) == content_) << "the sharer's version, at D";
    EXPECT_TRUE(read_file(mnt("A") + "/.dfs/ids/" + id) == content_) << "the sharer's version, at A";
    EXPECT_TRUE(read_file(mnt("A") + "/file") == content_);
    EXPECT_EQ(id_of(mnt("A") + "/file"), id);
  }

  const std::string content_ = random_content(kFileSize, 7);
};

TEST_F(MultiPeer, AFileCopiedIntoOneMountIsReadBitExactAtAnotherWithTwoNodesBetween) {
  check_sharing(2, /*open_first=*/false);
}

TEST_F(MultiPeer, AFileCopiedIntoOneMountAndOpenedAtAnotherIsReadBitExactWithOneNodeBetween) {
  check_sharing(1, /*open_first=*/true);
}

TEST_F(MultiPeer, AReadNoReplicaCanServeFailsWithEIOWithinTheFetchTimeout) {
  const std::string id = share_from_a(1);
  if (HasFatalFailure()) return;
  ASSERT_EQ(stat_errno(mnt("D") + "/.dfs/ids/" + id), 0) << "the manifest is fetched while its holders live";
  // Every holder of the data chunks goes away: A for good, the node stopped
  // (SIGSTOP: it still accepts connections but never answers, the case
  // only a timeout ends).
  ASSERT_TRUE(mounts_["A"]->unmount().has_value());
  nodes_["node0"]->signal(SIGSTOP);
  const auto start = std::chrono::steady_clock::now();
  auto cat = run_process("/bin/cat", {mnt("D") + "/.dfs/ids/" + id});
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_NE(cat.exit_code, 0);
  EXPECT_NE(cat.err.find("Input/output error"), std::string::npos) << cat.err;
  // The kernel retries a failed read-ahead once with a plain read: two
  // fetch timeouts, plus slack for a loaded machine.
  EXPECT_LT(took, std::chrono::seconds(4 * std::atoi(kFetchTimeoutSeconds)))
      << "bounded by --fetch-timeout; took " << std::chrono::duration<double>(took).count() << " s";
  EXPECT_EQ(stat_errno(mnt("D") + "/."), 0) << "the mount still answers";
}

TEST_F(MultiPeer, UnknownAndMalformedIdsFailQuicklyWithENOENTOrEINVAL) {
  start_mount("A", 11);
  start_node("node0", 12);
  wait_for_peers("A", 1);
  // Well formed, but no peer holds such a file.
  const std::string unknown = "dfs1" + std::string(103, 'a');
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(stat_errno(mnt("A") + "/.dfs/ids/" + unknown), ENOENT);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(std::atoi(kFetchTimeoutSeconds)))
      << "peers that answer 'not held' settle it before the fetch timeout";
  const int malformed = stat_errno(mnt("A") + "/.dfs/ids/not-an-id");
  EXPECT_TRUE(malformed == ENOENT || malformed == EINVAL) << std::strerror(malformed);
  EXPECT_NE(mounts_["A"]->log().find("not a File ID"), std::string::npos) << "a log line says why";

  auto r = dfs("A", {"open", unknown, mnt("A") + "/unknown"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no peer holds a file with that ID"), std::string::npos) << r.err;
  EXPECT_EQ(stat_errno(mnt("A") + "/unknown"), ENOENT);
}

TEST_F(MultiPeer, DfsOpenPicksItsDefaultPlaceRefusesBadPlacesAndShowsTheFileAtOnce) {
  start_mount("A", 11);
  write_file(mnt("A") + "/file", "shared");
  const std::string id = id_of(mnt("A") + "/file");
  stdfs::create_directories(mnt("A") + "/sub");

  // Default: ./<ID> when working on the mount, else MOUNTPOINT/<ID>.
  auto here = run_process("/bin/sh", {"-c", "cd \"$0\" && exec \"$1\" --data \"$2\" open \"$3\"", mnt("A") + "/sub",
                                      binary_from_env("DFS_BIN"), data("A"), id});
  ASSERT_EQ(here.exit_code, 0) << here.err;
  EXPECT_EQ(read_file(mnt("A") + "/sub/" + id), "shared");
  auto top = dfs("A", {"open", id});
  ASSERT_EQ(top.exit_code, 0) << top.err;
  EXPECT_EQ(read_file(mnt("A") + "/" + id), "shared");

  // A name looked up (and missing) just before is there right after.
  EXPECT_EQ(stat_errno(mnt("A") + "/sub/late"), ENOENT);
  ASSERT_EQ(dfs("A", {"open", id, mnt("A") + "/sub/late"}).exit_code, 0);
  EXPECT_EQ(stat_errno(mnt("A") + "/sub/late"), 0);

  auto exists = dfs("A", {"open", id, mnt("A") + "/file"});
  EXPECT_EQ(exists.exit_code, 1);
  EXPECT_NE(exists.err.find("already exists"), std::string::npos) << exists.err;
  EXPECT_EQ(read_file(mnt("A") + "/file"), "shared");

  auto outside = dfs("A", {"open", id, dir_ + "/outside"});
  EXPECT_EQ(outside.exit_code, 1);
  EXPECT_NE(outside.err.find("not on the dfs mount"), std::string::npos) << outside.err;
  EXPECT_FALSE(stdfs::exists(dir_ + "/outside"));

  auto reserved = dfs("A", {"open", id, mnt("A") + "/.dfs/ids/x"});
  EXPECT_EQ(reserved.exit_code, 1);
  EXPECT_NE(reserved.err.find(".dfs"), std::string::npos) << reserved.err;

}

}  // namespace
}  // namespace dfs::fuse::test
