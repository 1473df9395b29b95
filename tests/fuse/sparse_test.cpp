// Huge and sparse files: holes cost nothing in the store, read as zeros,
// are found by SEEK_DATA/SEEK_HOLE as on the host's filesystem, are made
// by fallocate and kept by `cp --sparse=always`; no request may make the
// mount store zeros for long or hang its caller.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/falloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "mount_fixture.hpp"

namespace dfs::fuse::test {
namespace {

// Bytes under `dir` on the host (du -sb), -1 if it cannot tell.
long long bytes_under(const std::string& dir) {
  std::string out;
  if (sh("du -sb " + dir + " | cut -f1", &out) != 0) return -1;
  return std::stoll(out);
}

// A truncate to 1 PiB answers at once (a test timeout catches a hang:
// there is no timing assertion) with the file that size or EFBIG, and the
// store does not grow.
TEST(Sparse, ATruncateToOnePebibyteNeitherHangsNorFillsTheStore) {
  if (data_dir().empty()) GTEST_SKIP() << "the in-memory FileSystem behind this mount has no size limit";
  const std::string dir = fresh_dir("sparse-pib");
  const std::string f = dir + "/huge";
  const int fd = ::open(f.c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::close(fd), 0);
  const std::string data = data_dir();
  const long long before = data.empty() ? 0 : bytes_under(data);
  constexpr off_t kPiB = off_t{1} << 50;
  errno = 0;
  const int rc = ::truncate(f.c_str(), kPiB);
  const int err = errno;
  struct stat st {};
  ASSERT_EQ(::stat(f.c_str(), &st), 0);
  if (rc == 0) {
    EXPECT_EQ(st.st_size, kPiB);
  } else {
    EXPECT_EQ(err, EFBIG) << std::strerror(err);
    EXPECT_EQ(st.st_size, 0);
  }
  if (!data.empty()) {
    EXPECT_LT(bytes_under(data) - before, 1 << 20) << "the store grew";
  }
  errno = 0;
  EXPECT_EQ(::truncate(f.c_str(), (off_t{1} << 62)), -1);
  EXPECT_EQ(errno, EFBIG);
}

TEST(Sparse, SeekDataAndHoleFindTheEnd) {
  if (data_dir().empty()) GTEST_SKIP() << "the in-memory FileSystem behind this mount has no SEEK_DATA";
  const std::string f = fresh_dir("sparse-seek") + "/f";
  const int fd = ::open(f.c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::pwrite(fd, "abc", 3, 0), 3);
  EXPECT_EQ(::lseek(fd, 1, SEEK_DATA), 1);
  EXPECT_EQ(::lseek(fd, 0, SEEK_HOLE), 3);
  errno = 0;
  EXPECT_EQ(::lseek(fd, 3, SEEK_DATA), -1);
  EXPECT_EQ(errno, ENXIO);
  ::close(fd);
}

constexpr off_t kMiB = off_t{1} << 20;

// `path` made sparse: a MiB of `fill` at 0 and at 4 MiB, then holes to 8 MiB.
void make_sparse(const std::string& path, char fill) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0) << path << ": " << std::strerror(errno);
  const std::string data(kMiB, fill);
  ASSERT_EQ(::pwrite(fd, data.data(), data.size(), 0), kMiB);
  ASSERT_EQ(::pwrite(fd, data.data(), data.size(), 4 * kMiB), kMiB);
  ASSERT_EQ(::ftruncate(fd, 8 * kMiB), 0);
  ASSERT_EQ(::close(fd), 0);
}

long long blocks_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<long long>(st.st_blocks) : -1;
}

// lseek(whence) at each of `offsets`: the offset or -errno.
std::vector<long long> seeks(const std::string& path, int whence, const std::vector<off_t>& offsets) {
  std::vector<long long> out;
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return {-errno};
  for (off_t offset : offsets) {
    const off_t got = ::lseek(fd, offset, whence);
    out.push_back(got >= 0 ? got : -errno);
  }
  ::close(fd);
  return out;
}

TEST(Sparse, ATebibyteSparseFileCostsAFewKibibytes) {
  if (data_dir().empty()) GTEST_SKIP() << "the in-memory FileSystem behind this mount stores nothing";
  const std::string f = fresh_dir("sparse-tib") + "/f";
  const long long before = bytes_under(data_dir() + "/store");
  ASSERT_EQ(sh("truncate -s 1T " + f), 0);
  struct stat st {};
  ASSERT_EQ(::stat(f.c_str(), &st), 0);
  EXPECT_EQ(st.st_size, off_t{1} << 40);
  EXPECT_LT(st.st_blocks, 16) << "st_blocks counts what is stored";
  EXPECT_LT(bytes_under(data_dir() + "/store") - before, 16 * 1024) << "the store grew";
  std::string out;
  ASSERT_EQ(sh("tail -c 1048576 " + f + " | tr -d '\\0' | wc -c", &out), 0);
  EXPECT_EQ(std::stoll(out), 0) << "the last MiB reads as zeros";
}

// The layout is chunk-aligned (1 MiB, the mount's chunk size), so the
// host's filesystem, whatever its block size, answers the same.
TEST(Sparse, SeekDataAndHoleAnswerAsTheHostsFilesystem) {
  if (data_dir().empty()) GTEST_SKIP() << "the in-memory FileSystem behind this mount has no holes";
  const std::string on_mount = fresh_dir("sparse-seek-holes") + "/f";
  const std::string on_host = scratch_dir() + "/sparse-seek-holes";
  make_sparse(on_mount, 'm');
  make_sparse(on_host, 'h');
  const std::vector<off_t> offsets{0, 100, kMiB, 2 * kMiB + 5, 4 * kMiB, 5 * kMiB, 8 * kMiB - 1, 8 * kMiB, 9 * kMiB};
  EXPECT_EQ(seeks(on_mount, SEEK_DATA, offsets), seeks(on_host, SEEK_DATA, offsets));
  EXPECT_EQ(seeks(on_mount, SEEK_HOLE, offsets), seeks(on_host, SEEK_HOLE, offsets));
  EXPECT_EQ(seeks(on_mount, SEEK_HOLE, {0}), std::vector<long long>{kMiB}) << "not the host's answer alone";
}

TEST(Sparse, APunchedHoleFreesItsChunksAndReadsAsZeros) {
  if (data_dir().empty()) GTEST_SKIP() << "the in-memory FileSystem behind this mount has no holes";
  const std::string f = fresh_dir("sparse-punch") + "/f";
  ASSERT_EQ(sh("head -c 8388608 /dev/urandom > " + f), 0);
  EXPECT_GE(blocks_of(f), 8 * kMiB / 512);
  const int fd = ::open(f.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, kMiB, 6 * kMiB), 0) << std::strerror(errno);
  ASSERT_EQ(::close(fd), 0);
  EXPECT_EQ(blocks_of(f), 2 * kMiB / 512) << "six chunks fewer";
  EXPECT_EQ(seeks(f, SEEK_HOLE, {0}), std::vector<long long>{kMiB});
  EXPECT_EQ(seeks(f, SEEK_DATA, {kMiB}), std::vector<long long>{7 * kMiB});
  std::string out;
  ASSERT_EQ(sh("dd if=" + f + " bs=1M skip=1 count=6 status=none | tr -d '\\0' | wc -c", &out), 0);
  EXPECT_EQ(std::stoll(out), 0);
}

TEST(Sparse, CpSparseAlwaysKeepsAFileSparse) {
  if (data_dir().empty()) GTEST_SKIP() << "the in-memory FileSystem behind this mount has no holes";
  const std::string source = scratch_dir() + "/sparse-cp-source";
  make_sparse(source, 'c');
  const std::string copy = fresh_dir("sparse-cp") + "/copy";
  ASSERT_EQ(sh("cp --sparse=always " + source + " " + copy), 0);
  EXPECT_EQ(sh("cmp " + source + " " + copy), 0);
  EXPECT_EQ(blocks_of(copy), 2 * kMiB / 512) << "the six MiB of holes are holes";
  EXPECT_EQ(seeks(copy, SEEK_DATA, {kMiB}), std::vector<long long>{4 * kMiB});
}

}  // namespace
}  // namespace dfs::fuse::test
