// Lose the machine, keep the files (issue 15), with real processes: a
// mount A with a recovery key and three `dfs node` peers on 127.0.0.x over
// TLS; a tree copied in at A, a snapshot, then A killed (-9) and its data
// directory deleted; a fresh mount E with only the key file recovers the
// tree bit-exact (contents, modes, times, symlinks, hard links, xattrs)
// while what A wrote after the snapshot is gone, not half there, and E
// renews the leases of files it never read. A wrong key recovers nothing
// and says so.
//
// DFS_RECOVERY_FILES sets the tree's size (default 300; the issue's
// figure is 2,000).
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "../common/chunk_on_disk.hpp"
#include "../common/eventually.hpp"
#include "../common/peer_leases.hpp"
#include "dfs/crypto/recovery_key.hpp"
#include "multi_peer_fixture.hpp"

namespace dfs::fuse::test {
namespace {

namespace stdfs = std::filesystem;
using dfs::testing::binary_from_env;
using dfs::testing::eventually;
using dfs::testing::ProcessResult;
using dfs::testing::run_process;

std::size_t tree_files() {
  const char* n = std::getenv("DFS_RECOVERY_FILES");
  return n != nullptr ? static_cast<std::size_t>(std::stoul(n)) : 300;
}

ProcessResult sh(const std::string& script, const std::string& arg) {
  return run_process("/bin/sh", {"-c", script, "sh", arg});
}

void set_times(const std::string& path, std::int64_t seconds, long nanos) {
  const struct timespec times[2] = {{seconds + 7, 0}, {seconds, nanos}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << path;
}

// Everything `find` and `getfattr` say of the tree under `dir` but its top's
// own times: name, type and mode, links, size, mtime (ns), symlink target,
// and each entry's user.* xattrs.
std::string describe_tree(const std::string& dir) {
  auto listing = sh("cd \"$1\" && { find . -mindepth 1 ! -type d -printf '%p %M %n %s %T@ %l\\n'; "
                    "find . -mindepth 1 -type d -printf '%p %M %n %T@\\n'; } | LC_ALL=C sort",
                    dir);
  auto xattrs = sh("cd \"$1\" && find . -mindepth 1 | LC_ALL=C sort | "
                   "xargs -d '\\n' getfattr -h -d -m '^user\\.tag$' -- 2>/dev/null",
                   dir);
  EXPECT_EQ(listing.exit_code, 0) << listing.err;
  return listing.out + xattrs.out;
}

class Recovery : public MultiPeerFixture {
 protected:
  // SOURCE: tree_files() files over 10 directories (one nested), modes
  // 0600/0640/0755, mtimes in the past to the nanosecond, a symlink and an
  // xattr in each directory, a hard link, a file of three chunks.
  void make_source(const std::string& src) {
    const std::size_t files = tree_files();
    for (std::size_t d = 0; d < 10; ++d) {
      const std::string dir = src + "/d" + std::to_string(d) + (d == 9 ? "/nested" : "");
      stdfs::create_directories(dir);
      stdfs::create_symlink("f0", dir + "/link");
      for (std::size_t i = d; i < files; i += 10) {
        const std::string f = dir + "/f" + std::to_string(i / 10);
        write_file(f, random_content(100 + (i * 37) % 5000, static_cast<unsigned>(i)));
        ::chmod(f.c_str(), i % 3 == 0 ? 0600 : i % 3 == 1 ? 0640 : 0755);
        set_times(f, 1'600'000'000 + static_cast<std::int64_t>(i) * 1000, static_cast<long>(i) * 1001);
      }
      ASSERT_EQ(::setxattr((dir + "/f0").c_str(), "user.tag", dir.data(), dir.size(), 0), 0) << dir;
      set_times(dir, 1'500'000'000 + static_cast<std::int64_t>(d), 5);
    }
    write_file(src + "/big", random_content((5u << 19) + 3, 77));  // 2.5 MiB: three chunks
    stdfs::create_hard_link(src + "/big", src + "/big.hardlink");
    ::chmod(src.c_str(), 0750);
  }

  std::string key_file() const { return dir_ + "/recovery.key"; }

  // Every chunk `peer` holds, in store/ and cache/.
  std::set<ChunkId> chunks_held(const std::string& peer) {
    std::set<ChunkId> found;
    for (const char* store : {"/store", "/cache"}) {
      for (const auto& [chunk, where] : dfs::testing::chunks_on_disk(data(peer) + store)) found.insert(chunk);
    }
    return found;
  }

  // The chunks `peer` holds now and did not hold in `before`.
  std::vector<ChunkId> new_chunks(const std::string& peer, const std::set<ChunkId>& before) {
    std::vector<ChunkId> added;
    for (const ChunkId& chunk : chunks_held(peer)) {
      if (!before.count(chunk)) added.push_back(chunk);
    }
    return added;
  }

  // Waits until every chunk A holds (store/ and cache/) is served by one
  // of B, C, D: what a recovery without A needs.
  void wait_until_replicated() {
    std::vector<ChunkId> mine;
    for (const char* store : {"/store", "/cache"}) {
      for (const auto& [id, where] : dfs::testing::chunks_on_disk(data("A") + store)) mine.push_back(id);
    }
    ASSERT_FALSE(mine.empty());
    std::vector<ChunkId> missing;
    const bool replicated = eventually(
        [&] {
          std::set<ChunkId> served;
          for (const char* peer : {"B", "C", "D"}) {
            for (const auto& [id, where] : dfs::testing::served_chunks_on_disk(data(peer))) served.insert(id);
          }
          missing.clear();
          for (const ChunkId& id : mine) {
            if (!served.count(id)) missing.push_back(id);
          }
          return missing.empty();
        },
        std::chrono::seconds(60), std::chrono::milliseconds(100));
    ASSERT_TRUE(replicated) << missing.size() << " of A's " << mine.size() << " chunks are on no other peer";
  }
};

TEST_F(Recovery, AFreshMountRecoversTheSnapshottedTreeBitExactFromTheKeyAlone) {
  const std::string src = dir_ + "/source";
  make_source(src);
  start_node("B", 32);
  start_node("C", 33);
  start_node("D", 34);
  auto key = dfs("A", {"recovery-key", "--export", key_file()});
  ASSERT_EQ(key.exit_code, 0) << key.err;
  start_mount("A", 31, {"--snapshot-interval", "3600"});  // snapshots on demand only, here
  wait_for_peers("A", 3);
  auto copied = run_process("/bin/cp", {"-a", src, mnt("A") + "/tree"});
  ASSERT_EQ(copied.exit_code, 0) << copied.err;
  // The mount root's own attributes: no entry holds them (the self block).
  ASSERT_EQ(::chmod(mnt("A").c_str(), 0751), 0);
  ASSERT_EQ(::setxattr(mnt("A").c_str(), "user.tag", "root", 4, 0), 0);
  auto snap = dfs("A", {"snapshot"});
  ASSERT_EQ(snap.exit_code, 0) << snap.err;
  EXPECT_NE(snap.out.find("published"), std::string::npos) << snap.out;
  EXPECT_NE(dfs("A", {"status"}).out.find("last snapshot:   20"), std::string::npos);
  wait_until_replicated();
  // Written after the last snapshot: what losing A loses.
  write_file(mnt("A") + "/tree/late.txt", "after the snapshot");
  stdfs::create_directories(mnt("A") + "/late-dir");

  mounts_.at("A")->kill();  // the machine is lost at once: no last snapshot
  stdfs::remove_all(data("A"));

  auto listed = run_process(binary_from_env("DFS_BIN"),
                            {"--data", data("L"), "recover", key_file(), "--bootstrap", bootstrap_});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(listed.out.rfind("0  ", 0), 0u) << listed.out;

  start_mount("E", 35, {"--recover", key_file()});
  const std::string recovered = mnt("E") + "/tree";
  auto diff = run_process("/usr/bin/diff", {"-r", "--no-dereference", src, recovered});
  EXPECT_EQ(diff.exit_code, 0) << diff.out << diff.err;
  EXPECT_EQ(describe_tree(recovered), describe_tree(src));
  struct stat top{};
  ASSERT_EQ(::stat(recovered.c_str(), &top), 0);
  EXPECT_EQ(top.st_mode & 07777, 0750u);
  struct stat mount_root{};
  ASSERT_EQ(::stat(mnt("E").c_str(), &mount_root), 0);
  EXPECT_EQ(mount_root.st_mode & 07777, 0751u);
  char tag[8] = {};
  EXPECT_EQ(::getxattr(mnt("E").c_str(), "user.tag", tag, sizeof tag), 4);
  EXPECT_STREQ(tag, "root");
  EXPECT_EQ(stat_errno(recovered + "/late.txt"), ENOENT);
  EXPECT_EQ(stat_errno(mnt("E") + "/late-dir"), ENOENT);
  EXPECT_NE(mounts_.at("E")->log().find("whatever the lost machine changed after it is lost"), std::string::npos)
      << mounts_.at("E")->log();
  // E took over: its next snapshot is published above A's.
  auto again = dfs("E", {"snapshot"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
}

// The recovered mount takes over renewing the leases of the whole tree, not
// only of what it reads: its repair asks the holders about every chunk its
// index references. Here a file nobody reads after the recovery: its data
// chunks never reach E, yet their leases on B, C and D are renewed.
TEST_F(Recovery, TheRecoveredMountRenewsTheLeasesOfAFileItNeverRead) {
  start_node("B", 52);
  start_node("C", 53);
  start_node("D", 54);
  ASSERT_EQ(dfs("A", {"recovery-key", "--export", key_file()}).exit_code, 0);
  start_mount("A", 51, {"--snapshot-interval", "3600"});
  wait_for_peers("A", 3);
  const std::set<ChunkId> before = chunks_held("A");
  write_file(mnt("A") + "/unread", random_content((5u << 19) + 3, 5));  // three data chunks
  const std::vector<ChunkId> chunks = new_chunks("A", before);  // the file's: its manifest and data chunks
  ASSERT_EQ(chunks.size(), 4u);
  ASSERT_EQ(dfs("A", {"snapshot"}).exit_code, 0);
  wait_until_replicated();

  // The leases A's puts got on the holders (B, C, D serving the chunk),
  // once written to their indexes.
  std::map<std::pair<std::string, ChunkId>, std::int64_t> granted;
  ASSERT_TRUE(eventually([&] {
    granted.clear();
    for (const char* peer : {"B", "C", "D"}) {
      for (const auto& [chunk, where] : dfs::testing::served_chunks_on_disk(data(peer))) {
        if (std::find(chunks.begin(), chunks.end(), chunk) == chunks.end()) continue;
        auto until = dfs::testing::lease_expiry(data(peer), chunk);
        if (!until) return false;
        granted[{peer, chunk}] = *until;
      }
    }
    return true;
  }, std::chrono::seconds(30)));
  const std::int64_t granted_by = std::time(nullptr);
  mounts_.at("A")->kill();
  stdfs::remove_all(data("A"));

  repair_interval_ = "1";  // E's rounds: now, not in ten minutes
  start_mount("E", 55, {"--recover", key_file()});
  // A renewal in a later second than any grant ends later than it.
  ASSERT_TRUE(eventually([&] { return std::time(nullptr) > granted_by; }, std::chrono::seconds(5)));
  // E asks each chunk's R = 3 closest live peers; it may be one of them
  // itself, so at least two of the holders (all, if fewer) are asked.
  std::map<ChunkId, std::size_t> holders;
  for (const auto& [where_, until] : granted) ++holders[where_.second];
  ASSERT_EQ(holders.size(), chunks.size());
  std::string short_of;
  const bool all = eventually(
      [&] {
        std::map<ChunkId, std::size_t> renewed;
        for (const auto& [where_, until] : granted) {
          auto now_until = dfs::testing::lease_expiry(data(where_.first), where_.second);
          renewed[where_.second] += now_until && *now_until > until ? 1 : 0;
        }
        short_of.clear();
        for (const auto& [chunk, n] : holders) {
          if (renewed[chunk] < std::min<std::size_t>(n, 2)) {
            short_of += chunk.short_hex() + ": " + std::to_string(renewed[chunk]) + " of " + std::to_string(n) + "\n";
          }
        }
        return short_of.empty();
      },
      std::chrono::seconds(60), std::chrono::milliseconds(200));
  EXPECT_TRUE(all) << "leases not renewed on enough holders:\n" << short_of << mounts_.at("E")->log();
  // E never fetched the data chunks it renewed.
  const std::set<ChunkId> at_e = chunks_held("E");
  EXPECT_EQ(std::count_if(chunks.begin(), chunks.end(), [&](const ChunkId& c) { return at_e.count(c) > 0; }), 1)
      << "E should hold the file's manifest only";
}

// A recovery key made while the mount runs takes effect at once, not at
// the next mount: `dfs recovery-key` has the mount publish a snapshot under
// it, and the mount's repair rounds renew with its lease key, so the
// holders record that key with the leases of what the mount placed before
// the key existed (a machine that recovers later renews those too).
TEST_F(Recovery, AKeyMadeWhileMountedIsUsedAtOnce) {
  start_node("B", 62);
  start_node("C", 63);
  start_node("D", 64);
  repair_interval_ = "1";  // A's rounds, which renew with the key: now, not in ten minutes
  start_mount("A", 61, {"--snapshot-interval", "3600"});
  wait_for_peers("A", 3);
  const std::set<ChunkId> before = chunks_held("A");
  write_file(mnt("A") + "/before-key", "written before the mount had a recovery key");
  const std::vector<ChunkId> chunks = new_chunks("A", before);
  ASSERT_FALSE(chunks.empty());
  EXPECT_NE(dfs("A", {"snapshot"}).exit_code, 0) << "no recovery key: no snapshots";

  auto made = dfs("A", {"recovery-key", "--export", key_file()});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_NE(made.err.find("uses it now"), std::string::npos) << made.err;
  EXPECT_NE(dfs("A", {"status"}).out.find("last snapshot:   20"), std::string::npos);
  wait_until_replicated();

  const auto key = crypto::RecoveryKey::parse_file(read_file(key_file()));
  ASSERT_TRUE(key.ok()) << key.error().to_string();
  const crypto::PublicKey lease_key = key->lease_key().public_key();
  const Bytes expected(lease_key.begin(), lease_key.end());
  std::string unkeyed;
  const bool keyed = eventually(
      [&] {
        unkeyed.clear();
        for (const char* peer : {"B", "C", "D"}) {
          for (const auto& [chunk, where] : dfs::testing::served_chunks_on_disk(data(peer))) {
            if (std::find(chunks.begin(), chunks.end(), chunk) == chunks.end()) continue;
            if (dfs::testing::lease_placer_key(data(peer), chunk) != expected) {
              unkeyed += std::string(peer) + ": " + chunk.short_hex() + "\n";
            }
          }
        }
        return unkeyed.empty();
      },
      std::chrono::seconds(60), std::chrono::milliseconds(200));
  EXPECT_TRUE(keyed) << "leases without the new key:\n" << unkeyed << mounts_.at("A")->log();

  mounts_.at("A")->kill();
  stdfs::remove_all(data("A"));
  start_mount("E", 65, {"--recover", key_file()});
  EXPECT_EQ(read_file(mnt("E") + "/before-key"), "written before the mount had a recovery key");
}

TEST_F(Recovery, AWrongKeyRecoversNothingAndSaysSo) {
  start_node("B", 42);
  start_node("C", 43);
  ASSERT_EQ(dfs("A", {"recovery-key", "--export", key_file()}).exit_code, 0);
  start_mount("A", 41, {"--snapshot-interval", "3600"});
  write_file(mnt("A") + "/f", "x");
  ASSERT_EQ(dfs("A", {"snapshot"}).exit_code, 0);
  ASSERT_EQ(dfs("W", {"recovery-key", "--export", dir_ + "/wrong.key"}).exit_code, 0);
  stdfs::remove_all(data("W"));
  stdfs::create_directories(mnt("W"));
  auto r = run_process(binary_from_env("DFSMOUNT_BIN"), mount_args("W", 44, {"--recover", dir_ + "/wrong.key"}));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no snapshot for this recovery key"), std::string::npos) << r.err;
  EXPECT_FALSE(is_mounted(mnt("W")));
}

}  // namespace
}  // namespace dfs::fuse::test
