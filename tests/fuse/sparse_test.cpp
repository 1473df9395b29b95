// Huge and sparse files: no request may make the mount store zeros for
// long or hang its caller.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

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

}  // namespace
}  // namespace dfs::fuse::test
