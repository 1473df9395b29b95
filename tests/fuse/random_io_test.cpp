// A seeded random mix of writes, truncates, reads, reopens and fsyncs on
// a file in the mount and on a plain file, compared after every read and
// at the end. DFS_RANDOM_IO_SEED replays a failing run.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <gtest/gtest.h>
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

constexpr int kOperations = 6000;
constexpr std::size_t kMaxSize = 4u << 20;

class Pair {
 public:
  Pair(std::string a, std::string b) : paths_{std::move(a), std::move(b)} { reopen(O_CREAT | O_TRUNC); }
  ~Pair() { close(); }
  void reopen(int extra = 0) {
    close();
    for (int i = 0; i < 2; ++i) fds_[i] = ::open(paths_[i].c_str(), O_RDWR | extra, 0644);
  }
  void close() {
    for (int& fd : fds_) {
      if (fd >= 0) {
        EXPECT_EQ(::close(fd), 0);
      }
      fd = -1;
    }
  }
  int fd(int i) const { return fds_[i]; }
  bool ok() const { return fds_[0] >= 0 && fds_[1] >= 0; }

 private:
  std::string paths_[2];
  int fds_[2] = {-1, -1};
};

std::vector<char> pread_all(int fd, std::size_t size, off_t offset) {
  std::vector<char> out(size);
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(fd, out.data() + done, size - done, offset + static_cast<off_t>(done));
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  out.resize(done);
  return out;
}

TEST(RandomIo, MixedWritesTruncatesAndReadsMatchAPlainFile) {
  const char* seed_env = std::getenv("DFS_RANDOM_IO_SEED");
  const unsigned seed = seed_env != nullptr ? static_cast<unsigned>(std::strtoul(seed_env, nullptr, 10)) : 20240611u;
  SCOPED_TRACE("DFS_RANDOM_IO_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  const std::string dir = fresh_dir("random");
  Pair files(dir + "/file", scratch_dir() + "/random-reference");
  ASSERT_TRUE(files.ok());
  auto uniform = [&](std::size_t lo, std::size_t hi) { return std::uniform_int_distribution<std::size_t>(lo, hi)(rng); };
  std::vector<char> data;
  std::size_t reads = 0;
  std::string history;
  for (int op = 0; op < kOperations && !HasFailure(); ++op) {
    const std::size_t kind = uniform(0, 99);
    history = history.substr(history.size() > 60 ? history.size() - 60 : 0) + " " + std::to_string(kind);
    if (kind < 50) {  // write: mostly small, some chunk-sized and straddling chunk boundaries
      const std::size_t length = kind < 5 ? uniform(1u << 20, 2u << 20) : kind < 15 ? uniform(4096, 256 << 10) : uniform(1, 8192);
      const std::size_t offset = uniform(0, kMaxSize - length);
      data.resize(length);
      for (auto& c : data) c = static_cast<char>(rng());
      for (int i = 0; i < 2; ++i) {
        ASSERT_EQ(::pwrite(files.fd(i), data.data(), length, static_cast<off_t>(offset)), static_cast<ssize_t>(length))
            << "op " << op << " write " << length << " at " << offset;
      }
    } else if (kind < 58) {
      const std::size_t size = uniform(0, kMaxSize);
      for (int i = 0; i < 2; ++i) ASSERT_EQ(::ftruncate(files.fd(i), static_cast<off_t>(size)), 0) << "op " << op;
    } else if (kind < 93) {
      const std::size_t offset = uniform(0, kMaxSize);
      const std::size_t length = uniform(1, 1u << 20);
      const auto got = pread_all(files.fd(0), length, static_cast<off_t>(offset));
      const auto want = pread_all(files.fd(1), length, static_cast<off_t>(offset));
      if (got != want) {
        struct stat a {}, b {};
        ::fstat(files.fd(0), &a);
        ::fstat(files.fd(1), &b);
        FAIL() << "op " << op << ": read " << length << " at " << offset << " gave " << got.size() << " bytes, want "
               << want.size() << "; sizes " << a.st_size << " vs " << b.st_size << "; last op kinds: " << history;
      }
      ++reads;
    } else if (kind < 98) {
      files.reopen();  // close (flush, release) and open again: close-to-open
      ASSERT_TRUE(files.ok()) << "op " << op;
    } else {
      ASSERT_EQ(::fsync(files.fd(0)), 0) << "op " << op;
    }
  }
  struct stat a {}, b {};
  ASSERT_EQ(::fstat(files.fd(0), &a), 0);
  ASSERT_EQ(::fstat(files.fd(1), &b), 0);
  EXPECT_EQ(a.st_size, b.st_size);
  files.close();
  EXPECT_EQ(sh("cmp " + dir + "/file " + scratch_dir() + "/random-reference"), 0);
  EXPECT_GT(reads, 1000u);
}

}  // namespace
}  // namespace dfs::fuse::test

namespace dfs::fuse::test {
namespace {

// Whether each page of `path`'s first `size` bytes is in the kernel's page
// cache (mincore of a read-only mapping: faults nothing in).
std::vector<bool> cached_pages(const std::string& path, std::size_t size) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return {};
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return {};
  const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> vec((size + page - 1) / page);
  std::vector<bool> cached;
  if (::mincore(map, size, vec.data()) == 0) {
    for (unsigned char v : vec) cached.push_back((v & 1) != 0);
  }
  ::munmap(map, size);
  return cached;
}

// A file created for writing only (cp, tar, git checkout, compilers) is
// written past the page cache (FOPEN_DIRECT_IO): the kernel then sends no
// GETXATTR of security.capability before each write, one FUSE round trip
// in seven of a small file's. A descriptor created for reading and writing
// keeps the cache, and with it mmap.
TEST(Io, AFileCreatedForWritingOnlyIsWrittenPastThePageCache) {
  if (data_dir().empty()) GTEST_SKIP() << "the in-memory FileSystem writes through the page cache";
  const std::string dir = fresh_dir("uncached");
  const std::vector<char> data(8192, 'u');
  const int fd = ::open((dir + "/wo").c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
  ASSERT_EQ(::close(fd), 0);
  EXPECT_EQ(cached_pages(dir + "/wo", data.size()), (std::vector<bool>{false, false}));
  const int rfd = ::open((dir + "/wo").c_str(), O_RDONLY);
  ASSERT_GE(rfd, 0);
  EXPECT_EQ(pread_all(rfd, data.size() + 1, 0), data);
  ASSERT_EQ(::close(rfd), 0);

  const int rw = ::open((dir + "/rw").c_str(), O_RDWR | O_CREAT | O_EXCL, 0644);
  ASSERT_GE(rw, 0);
  ASSERT_EQ(::write(rw, data.data(), data.size()), static_cast<ssize_t>(data.size()));
  void* map = ::mmap(nullptr, data.size(), PROT_READ | PROT_WRITE, MAP_SHARED, rw, 0);
  ASSERT_NE(map, MAP_FAILED) << std::strerror(errno);
  EXPECT_EQ(static_cast<const char*>(map)[4096], 'u');
  ::munmap(map, data.size());
  ASSERT_EQ(::close(rw), 0);
}

// What a direct write must not break: a reader that has the file open (tail
// -f of a log a shell redirect created write-only) reads the bytes appended
// after its first read, not a cached page ending at the old end of file.
TEST(Io, AReaderSeesWhatAWriteOnlyCreatorAppendsAfterItsFirstRead) {
  const std::string path = fresh_dir("appended") + "/log";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  ASSERT_GE(fd, 0);
  const std::vector<char> first(100, 'a'), second(100, 'b');
  ASSERT_EQ(::write(fd, first.data(), first.size()), static_cast<ssize_t>(first.size()));
  const int reader = ::open(path.c_str(), O_RDONLY);
  ASSERT_GE(reader, 0);
  EXPECT_EQ(pread_all(reader, 4096, 0), first);
  ASSERT_EQ(::write(fd, second.data(), second.size()), static_cast<ssize_t>(second.size()));
  std::vector<char> both = first;
  both.insert(both.end(), second.begin(), second.end());
  EXPECT_EQ(pread_all(reader, 4096, 0), both);
  ASSERT_EQ(::close(reader), 0);
  ASSERT_EQ(::close(fd), 0);
}

}  // namespace
}  // namespace dfs::fuse::test
