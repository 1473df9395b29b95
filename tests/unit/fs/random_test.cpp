// A seeded randomized test: thousands of mixed writes, truncates and reads
// at random offsets on one file, compared with the same operations on a
// plain file, with close-to-open (and whole-filesystem) reopens between.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "fs_test_util.hpp"

namespace dfs::fs {
namespace {

using testing::kCaller;
using testing::Peer;
using testing::read_all;

struct RandomCase {
  std::uint32_t chunk_size;
  std::size_t dirty_memory;
  int operations;
  std::uint32_t seed;
};

class FsRandomOps : public ::testing::TestWithParam<RandomCase> {};

// The plain file the operations are mirrored on.
class Reference {
 public:
  explicit Reference(const std::string& path) : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600)) {}
  ~Reference() { ::close(fd_); }
  void write(std::uint64_t off, ByteView data) {
    ASSERT_EQ(::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(off)), static_cast<ssize_t>(data.size()));
  }
  void truncate(std::uint64_t size) { ASSERT_EQ(::ftruncate(fd_, static_cast<off_t>(size)), 0); }
  Bytes read(std::uint64_t off, std::size_t n) {
    Bytes out(n);
    ssize_t got = ::pread(fd_, out.data(), n, static_cast<off_t>(off));
    out.resize(got < 0 ? 0 : static_cast<std::size_t>(got));
    return out;
  }
  std::uint64_t size() const { return static_cast<std::uint64_t>(::lseek(fd_, 0, SEEK_END)); }

 private:
  int fd_;
};

TEST_P(FsRandomOps, MatchesAPlainFile) {
  const RandomCase c = GetParam();
  FsOptions options;
  options.chunk_size = c.chunk_size;
  options.dirty_memory_bytes = c.dirty_memory;
  Peer peer(options);
  Reference ref(peer.dir() + "/reference");
  std::mt19937_64 rng(c.seed);
  auto uniform = [&](std::uint64_t lo, std::uint64_t hi) { return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng); };
  const std::uint64_t span = 6ull * c.chunk_size;  // the file wanders over a few chunks
  auto created = peer.fs().create(kCaller, kRootIno, "f", 0644, O_RDWR);
  ASSERT_OK(created);
  const Ino ino = created->first.ino;
  FileHandle fh = created->second;
  for (int op = 0; op < c.operations; ++op) {
    SCOPED_TRACE("operation " + std::to_string(op));
    const std::uint64_t kind = uniform(0, 99);
    if (kind < 45) {
      // Lengths around a chunk, at offsets near boundaries half the time.
      std::uint64_t off = uniform(0, span);
      if (uniform(0, 1)) off = std::max<std::uint64_t>(off / c.chunk_size * c.chunk_size + uniform(0, 16), 8) - 8;
      Bytes data = testing::random_bytes(uniform(1, 2ull * c.chunk_size + 3), static_cast<std::uint32_t>(rng()));
      ASSERT_OK(peer.fs().write(fh, off, data));
      ref.write(off, data);
    } else if (kind < 55) {
      const std::uint64_t size = uniform(0, span);
      SetAttr truncate;
      truncate.size = size;
      ASSERT_OK(peer.fs().setattr(kCaller, ino, truncate, uniform(0, 3) ? std::optional<FileHandle>(fh) : std::nullopt));
      ref.truncate(size);
    } else if (kind < 95) {
      const std::uint64_t off = uniform(0, span + 10);
      const std::size_t length = uniform(0, 3ull * c.chunk_size);
      Bytes got(length);
      auto n = peer.fs().read(fh, off, got);
      ASSERT_OK(n);
      got.resize(*n);
      ASSERT_EQ(got, ref.read(off, length));
    } else {
      ASSERT_OK(peer.fs().release(fh));
      ASSERT_EQ(peer.fs().getattr(ino)->size, ref.size());
      if (uniform(0, 3) == 0) {
        peer.reopen();
        ASSERT_EQ(read_all(peer.fs(), ino), ref.read(0, ref.size()));
      }
      auto reopened = peer.fs().open(ino, O_RDWR);
      ASSERT_OK(reopened);
      fh = *reopened;
    }
    ASSERT_EQ(peer.fs().getattr(ino)->size, ref.size());
  }
  ASSERT_OK(peer.fs().release(fh));
  peer.reopen();
  EXPECT_EQ(read_all(peer.fs(), ino), ref.read(0, ref.size()));
}

INSTANTIATE_TEST_SUITE_P(Seeds, FsRandomOps,
                         ::testing::Values(RandomCase{4096, 64u << 20, 4000, 1},
                                           RandomCase{4096, 3 * 4096, 4000, 2},  // most dirty chunks spill
                                           RandomCase{1u << 20, 64u << 20, 600, 3}));

}  // namespace
}  // namespace dfs::fs
