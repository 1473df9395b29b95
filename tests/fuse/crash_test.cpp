// Crash consistency (issue 4, DESIGN.md §5): a real dfsmount is killed with
// SIGKILL while a writer copies many files in; after a lazy unmount and a
// new mount, every file whose close or fsync returned reads back
// bit-exact, no file shows content that was never closed, and an offline
// `dfs gc` leaves the store with only chunks the index references and an
// empty tmp/. Three kill points (seeded), each on top of the last.
//
// The writer is a child process, so that its syscalls on the dying mount
// (which fail with ENOTCONN) cannot hang the test. It logs to a journal
// outside the mount: "begin NAME SHA" before it opens a file, "done NAME
// SHA" once close (after fsync, for some) returned 0.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "../common/chunk_on_disk.hpp"
#include "../common/eventually.hpp"
#include "../common/temp_dir.hpp"
#include "dfs/chunk/chunk_id.hpp"
#include "dfs/index/index.hpp"
#include "mount_util.hpp"

namespace {

using namespace std::chrono_literals;
using dfs::testing::eventually;
using dfs::fuse::test::is_mounted;
using dfs::fuse::test::read_text;
namespace fs = std::filesystem;

constexpr int kFilesPerRound = 200;
constexpr std::size_t kMaxFileSize = 3u << 20;

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

int run(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

std::string sha_hex(const dfs::Bytes& data) { return dfs::ChunkId{dfs::crypto::sha256(data)}.hex(); }

// The content of file `n` of a round: sizes from empty to 3 MiB, most small.
dfs::Bytes content(std::uint32_t seed, int n) {
  std::mt19937 rng(seed * 100'003u + static_cast<std::uint32_t>(n));
  std::size_t size = 0;
  switch (rng() % 4) {
    case 0: size = rng() % 16; break;                          // empty or tiny
    case 1: size = rng() % (64 << 10); break;                  // small
    case 2: size = (1u << 20) + (rng() % 3) - 1; break;        // around one chunk
    default: size = rng() % (kMaxFileSize + 1); break;         // up to 3 MiB
  }
  dfs::Bytes data(size);
  for (auto& b : data) b = static_cast<std::uint8_t>(rng());
  return data;
}

// File n's name: every 7th file rewrites an earlier one (an edit in place).
std::string name_of(int round, int n) {
  const int target = (n % 7 == 6) ? n - 5 : n;
  return "r" + std::to_string(round) + "-f" + std::to_string(target);
}

bool write_all(int fd, const dfs::Bytes& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const std::size_t piece = std::min<std::size_t>(data.size() - done, 128 << 10);
    const ssize_t n = ::write(fd, data.data() + done, piece);
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// The writer child: copies the round's files in until the mount dies.
[[noreturn]] void writer(const std::string& dir, const std::string& journal_path, int round, std::uint32_t seed) {
  std::ofstream journal(journal_path, std::ios::app);
  for (int n = 0; n < kFilesPerRound; ++n) {
    const dfs::Bytes data = content(seed, n);
    const std::string name = name_of(round, n), hash = sha_hex(data);
    journal << "begin " << name << " " << hash << std::endl;
    const int fd = ::open((dir + "/" + name).c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) _exit(0);
    bool ok = write_all(fd, data);
    if (ok && n % 4 == 0) ok = ::fsync(fd) == 0;
    ok = (::close(fd) == 0) && ok;
    if (!ok) _exit(0);  // the mount died under us
    journal << "done " << name << " " << hash << std::endl;
  }
  _exit(0);
}

// The file's bytes; `error` says why not (EIO for a chunk gone, ...).
dfs::Bytes read_whole(const std::string& path, std::string& error) {
  dfs::Bytes data;
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) {
    error = std::strerror(errno);
    return data;
  }
  std::uint8_t buf[1 << 16];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) != 0;) {
    if (n < 0) {
      error = std::strerror(errno);
      break;
    }
    data.insert(data.end(), buf, buf + n);
  }
  ::close(fd);
  return data;
}

// What the journal says each name may hold.
struct Expected {
  std::optional<std::string> committed;  // last "done" hash
  std::optional<std::string> in_flight;   // a "begin" after it, never done
};

std::map<std::string, Expected> read_journal(const std::string& path) {
  std::map<std::string, Expected> files;
  std::ifstream in(path);
  std::string what, name, hash;
  while (in >> what >> name >> hash) {
    if (what == "begin") files[name].in_flight = hash;
    if (what == "done") files[name] = Expected{hash, std::nullopt};
  }
  return files;
}

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dfsmount_ = env("DFS_DFSMOUNT");
    dfs_ = env("DFS_CLI");
    ASSERT_FALSE(dfsmount_.empty() || dfs_.empty()) << "DFS_DFSMOUNT and DFS_CLI must be set (meson sets them)";
    ASSERT_EQ(::access("/dev/fuse", R_OK | W_OK), 0) << "/dev/fuse is missing or not usable: cannot mount";
    ASSERT_TRUE(tmp_.ok());
    root_ = tmp_.path();
    mnt_ = root_ + "/mnt";
    data_ = root_ + "/data";
    journal_ = root_ + "/journal";
    log_ = root_ + "/dfsmount.log";
    fs::create_directories(mnt_);
    fs::create_directories(data_);
  }

  void TearDown() override {
    if (mount_pid_ > 0) {
      ::kill(mount_pid_, SIGKILL);
      ::waitpid(mount_pid_, nullptr, 0);
    }
    if (is_mounted(mnt_)) run("fusermount3 -u -z " + mnt_);
    if (HasFailure()) std::fprintf(stderr, "--- dfsmount log ---\n%s\n", read_text(log_).c_str());
  }

  // Starts dfsmount in the foreground, GC every 0.2 s so that it races the
  // commits too. Fails the test, saying why, if it does not mount.
  void mount() {
    mount_pid_ = ::fork();
    ASSERT_GE(mount_pid_, 0);
    if (mount_pid_ == 0) {
      const std::string exec = "exec " + dfsmount_ + " -f --data " + data_ + " --gc-interval 0.2 " + mnt_ +
                               " >>" + log_ + " 2>&1";
      ::execl("/bin/sh", "sh", "-c", exec.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    bool exited = false;
    const bool mounted = eventually(
        [&] {
          exited = ::waitpid(mount_pid_, nullptr, WNOHANG) == mount_pid_;
          return exited || is_mounted(mnt_);
        },
        30s, 20ms);
    if (exited) {
      mount_pid_ = -1;
      FAIL() << "dfsmount exited before mounting; its output:\n" << read_text(log_);
    }
    if (!mounted) FAIL() << "not mounted after 30 s:\n" << read_text(log_);
  }

  void unmount_cleanly() {
    ASSERT_EQ(run("fusermount3 -u " + mnt_), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(mount_pid_, &status, 0), mount_pid_);
    mount_pid_ = -1;
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "dfsmount ended badly: " << status;
  }

  // Every name reads as the journal allows.
  void verify(int* committed_count = nullptr) {
    int committed = 0;
    for (const auto& [name, expected] : read_journal(journal_)) {
      const std::string path = mnt_ + "/" + name;
      std::error_code ec;
      if (!fs::exists(path, ec)) {
        EXPECT_FALSE(expected.committed) << name << " was closed before the kill but is gone";
        continue;
      }
      std::string error;
      const dfs::Bytes data = read_whole(path, error);
      if (!error.empty()) {
        ADD_FAILURE() << name << " cannot be read back: " << error;
        continue;
      }
      const std::string hash = sha_hex(data);
      std::set<std::string> allowed;
      if (expected.committed) allowed.insert(*expected.committed);
      if (expected.in_flight) {
        allowed.insert(*expected.in_flight);  // committed, but the kill beat the reply
        allowed.insert(sha_hex({}));          // created (or truncated), nothing closed yet
      }
      EXPECT_TRUE(allowed.count(hash)) << name << " holds " << data.size() << " bytes that were never closed";
      if (expected.committed && !expected.in_flight) {
        EXPECT_EQ(hash, *expected.committed) << name << " is not bit-exact";
        ++committed;
      }
    }
    if (committed_count) *committed_count = committed;
  }

  // After an offline `dfs gc`: only chunks the index references, tmp/ empty.
  void expect_store_holds_only_referenced_chunks() {
    auto index = dfs::index::Index::open(data_ + "/index.sqlite");
    ASSERT_TRUE(index.ok()) << index.error().to_string();
    for (const std::string store : {"store", "cache"}) {
      std::vector<dfs::ChunkId> held;
      for (const auto& [id, where] : dfs::testing::chunks_on_disk(data_ + "/" + store)) held.push_back(id);
      auto orphans = (*index)->unreferenced(held);
      ASSERT_TRUE(orphans.ok());
      EXPECT_TRUE(orphans->empty()) << orphans->size() << " of " << held.size() << " chunks in " << store
                                    << "/ are referenced by nothing after dfs gc";
      EXPECT_TRUE(fs::is_empty(data_ + "/" + store + "/tmp")) << store << "/tmp is not empty after dfs gc";
    }
  }

  dfs::testing::TempDir tmp_{"dfs-crash-test"};
  std::string dfsmount_, dfs_, root_, mnt_, data_, journal_, log_;
  pid_t mount_pid_ = -1;
};

TEST_F(CrashTest, KillNineMidCopyLosesNothingClosedAndShowsNothingHalfWritten) {
  const std::uint32_t seeds[] = {11, 22, 33};
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    ASSERT_NO_FATAL_FAILURE(mount());
    verify();  // what earlier rounds closed survived their crash and GC
    std::mt19937 rng(seeds[round]);
    const int kill_after = 15 + static_cast<int>(rng() % 60);  // files closed before the kill
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) writer(mnt_, journal_, round, seeds[round]);
    int done = 0;
    eventually(
        [&] {
          const std::string text = read_text(journal_);
          done = 0;
          for (std::size_t at = text.find("done r" + std::to_string(round)); at != std::string::npos;
               at = text.find("done r" + std::to_string(round), at + 1)) {
            ++done;
          }
          return done >= kill_after || ::waitpid(child, nullptr, WNOHANG) == child;
        },
        300s, 2ms);
    ASSERT_EQ(::kill(mount_pid_, SIGKILL), 0);  // writes are in flight: the writer never pauses
    ::waitpid(mount_pid_, nullptr, 0);
    mount_pid_ = -1;
    ::waitpid(child, nullptr, 0);  // its next call on the dead mount fails and it exits
    ASSERT_EQ(run("fusermount3 -u -z " + mnt_), 0);
    std::fprintf(stderr, "round %d: killed after %d files closed\n", round, done);

    ASSERT_NO_FATAL_FAILURE(mount());  // the index opens
    int committed = 0;
    verify(&committed);
    EXPECT_GE(committed, std::min(done, 1));
    ASSERT_NO_FATAL_FAILURE(unmount_cleanly());

    ASSERT_EQ(run(dfs_ + " --data " + data_ + " gc > " + root_ + "/gc.out 2>&1"), 0) << read_text(root_ + "/gc.out");
    std::fprintf(stderr, "dfs gc:\n%s", read_text(root_ + "/gc.out").c_str());
    expect_store_holds_only_referenced_chunks();
  }
  ASSERT_NO_FATAL_FAILURE(mount());
  verify();  // and nothing GC did took a chunk a file needs
  unmount_cleanly();
}

// After kill -9 the mount point answers ENOTCONN: dfsmount on it says it
// is a stale mount and how to clear it, not "not a directory".
TEST_F(CrashTest, DfsmountOnAStaleMountSaysHowToClearIt) {
  ASSERT_NO_FATAL_FAILURE(mount());
  ASSERT_EQ(::kill(mount_pid_, SIGKILL), 0);
  ::waitpid(mount_pid_, nullptr, 0);
  mount_pid_ = -1;
  const std::string out = root_ + "/again.out";
  EXPECT_EQ(run(dfsmount_ + " -f --data " + data_ + " " + mnt_ + " > " + out + " 2>&1"), 1);  // dfs(1) EXIT STATUS
  const std::string said = read_text(out);
  EXPECT_NE(said.find("stale mount"), std::string::npos) << said;
  EXPECT_NE(said.find("fusermount3 -u " + mnt_), std::string::npos) << said;
  ASSERT_EQ(run("fusermount3 -u -z " + mnt_), 0);
}

}  // namespace
