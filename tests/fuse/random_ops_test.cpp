// A seeded random sequence of namespace and content operations (creates,
// writes at random offsets including far past the end, truncates up and
// down, punched holes, renames, links, unlinks, mmap reads and writes) on
// a few names in the mount and on the same names in a plain directory;
// every result, errno and read must match. DFS_RANDOM_OPS_SEED replays a
// run; DFS_LONG_TESTS=1 runs 100,000 operations (nightly) instead of the
// CI's 1,500.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/falloc.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "mount_fixture.hpp"

namespace dfs::fuse::test {
namespace {

constexpr int kNames = 5;
constexpr std::size_t kFar = 6u << 20;  // offsets reach this far past 0

struct Result {
  long rc = 0;
  int err = 0;
  std::vector<char> bytes;  // what a read saw
  bool operator==(const Result&) const = default;
};

Result done(long rc) { return Result{rc, rc < 0 ? errno : 0, {}}; }

// One operation, drawn from `rng` (the same draws for both directories).
struct Op {
  int kind;
  int a, b;
  std::size_t offset, length;
  unsigned char fill;
};

Op draw(std::mt19937_64& rng) {
  auto uniform = [&](std::size_t lo, std::size_t hi) { return std::uniform_int_distribution<std::size_t>(lo, hi)(rng); };
  Op op{};
  op.kind = static_cast<int>(uniform(0, 99));
  op.a = static_cast<int>(uniform(0, kNames - 1));
  op.b = static_cast<int>(uniform(0, kNames - 1));
  op.offset = uniform(0, 10) == 0 ? uniform(0, kFar) : uniform(0, 1u << 20);
  op.length = uniform(0, 4) == 0 ? uniform(1, 1u << 20) : uniform(1, 9000);
  op.fill = static_cast<unsigned char>(uniform(1, 255));
  return op;
}

Result apply(const std::string& dir, const Op& op) {
  const std::string a = dir + "/n" + std::to_string(op.a);
  const std::string b = dir + "/n" + std::to_string(op.b);
  if (op.kind < 8) {  // create or truncate to empty
    const int fd = ::open(a.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    return done(fd < 0 ? -1 : ::close(fd));
  }
  if (op.kind < 38) {  // write
    const int fd = ::open(a.c_str(), O_WRONLY);
    if (fd < 0) return done(-1);
    const std::vector<char> data(op.length, static_cast<char>(op.fill));
    const long n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(op.offset));
    Result r = done(n);
    ::close(fd);
    return r;
  }
  if (op.kind < 46) return done(::truncate(a.c_str(), static_cast<off_t>(op.offset)));
  if (op.kind < 52) {  // punch a hole
    const int fd = ::open(a.c_str(), O_WRONLY);
    if (fd < 0) return done(-1);
    Result r = done(::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(op.offset),
                                static_cast<off_t>(op.length)));
    ::close(fd);
    return r;
  }
  if (op.kind < 58) return done(::rename(a.c_str(), b.c_str()));
  if (op.kind < 62) return done(::link(a.c_str(), b.c_str()));
  if (op.kind < 66) return done(::unlink(a.c_str()));
  if (op.kind < 90) {  // read
    const int fd = ::open(a.c_str(), O_RDONLY);
    if (fd < 0) return done(-1);
    Result r;
    r.bytes.resize(op.length);
    r.rc = ::pread(fd, r.bytes.data(), r.bytes.size(), static_cast<off_t>(op.offset));
    r.err = r.rc < 0 ? errno : 0;
    r.bytes.resize(r.rc > 0 ? static_cast<std::size_t>(r.rc) : 0);
    ::close(fd);
    return r;
  }
  // mmap: read (kind < 95) or write a window inside the file.
  const bool writes = op.kind >= 95;
  const int fd = ::open(a.c_str(), writes ? O_RDWR : O_RDONLY);
  if (fd < 0) return done(-1);
  struct stat st {};
  ::fstat(fd, &st);
  Result r;
  const std::size_t size = static_cast<std::size_t>(st.st_size);
  if (size > 0) {
    const std::size_t from = op.offset % size;
    const std::size_t length = std::min(op.length, size - from);
    void* map = ::mmap(nullptr, size, writes ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
      r = done(-1);
    } else {
      char* bytes = static_cast<char*>(map);
      if (writes) {
        std::memset(bytes + from, op.fill, length);
        r = done(::msync(map, size, MS_SYNC));
      } else {
        r.bytes.assign(bytes + from, bytes + from + length);
      }
      ::munmap(map, size);
    }
  }
  ::close(fd);
  return r;
}

TEST(RandomOps, ASeededSequenceAnswersAsOnAPlainDirectory) {
  if (data_dir().empty()) GTEST_SKIP() << "the in-memory FileSystem behind this mount has no fallocate";
  const char* seed_env = std::getenv("DFS_RANDOM_OPS_SEED");
  const std::uint64_t seed = seed_env != nullptr ? std::strtoull(seed_env, nullptr, 10) : 20261206u;
  const char* long_env = std::getenv("DFS_LONG_TESTS");
  const int count = long_env != nullptr && std::string(long_env) == "1" ? 100'000 : 1'500;
  SCOPED_TRACE("DFS_RANDOM_OPS_SEED=" + std::to_string(seed));
  const std::string mount = fresh_dir("random-ops");
  const std::string plain = scratch_dir() + "/random-ops";
  ASSERT_EQ(sh("rm -rf " + plain + " && mkdir -p " + plain), 0);
  std::mt19937_64 rng(seed);
  int reads = 0;
  for (int i = 0; i < count && !::testing::Test::HasFailure(); ++i) {
    const Op op = draw(rng);
    const Result want = apply(plain, op);
    const Result got = apply(mount, op);
    ASSERT_EQ(got.rc, want.rc) << "op " << i << " kind " << op.kind << " on n" << op.a << ": errno " << got.err
                               << " vs " << want.err;
    ASSERT_EQ(got.err, want.err) << "op " << i << " kind " << op.kind;
    ASSERT_TRUE(got.bytes == want.bytes) << "op " << i << " kind " << op.kind << ": read " << op.length << " at "
                                         << op.offset << " of n" << op.a << " differs";
    reads += !want.bytes.empty();
  }
  for (int n = 0; n < kNames; ++n) {
    const std::string name = "/n" + std::to_string(n);
    EXPECT_EQ(sh("test -e " + mount + name + " || test ! -e " + plain + name + " && { test ! -e " + plain + name +
                 " || cmp " + mount + name + " " + plain + name + "; }"),
              0)
        << name;
  }
  EXPECT_GT(reads, count / 20);
}

}  // namespace
}  // namespace dfs::fuse::test
