#include "dfs/chunk/chunker.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <thread>

#include "dfs/util/file.hpp"

namespace dfs {
namespace {

// Feeds `size` bytes into a pipe in odd-sized writes, so the chunker sees
// short reads as it would from stdin.
std::vector<std::size_t> chunk_sizes_of_stream(std::size_t size, std::uint32_t chunk_size) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  std::thread writer([&] {
    Bytes data(size, 0x5a);
    std::size_t off = 0;
    while (off < size) {
      std::size_t n = std::min<std::size_t>(777, size - off);
      EXPECT_TRUE(write_full(fds[1], ByteView(data).subspan(off, n), "pipe").ok());
      off += n;
    }
    ::close(fds[1]);
  });
  Chunker chunker(fds[0], chunk_size, "pipe");
  std::vector<std::size_t> sizes;
  Bytes buf;
  while (chunker.next(buf).value()) sizes.push_back(buf.size());
  writer.join();
  ::close(fds[0]);
  EXPECT_EQ(chunker.bytes_read(), size);
  return sizes;
}

TEST(Chunker, CutsStreamsAtTheChunkSizeWithAShortLastChunk) {
  const std::uint32_t cs = 4096;
  EXPECT_EQ(chunk_sizes_of_stream(0, cs), std::vector<std::size_t>{});
  EXPECT_EQ(chunk_sizes_of_stream(1, cs), std::vector<std::size_t>{1});
  EXPECT_EQ(chunk_sizes_of_stream(cs, cs), std::vector<std::size_t>{cs});
  EXPECT_EQ(chunk_sizes_of_stream(cs + 1, cs), (std::vector<std::size_t>{cs, 1}));
  EXPECT_EQ(chunk_sizes_of_stream(3 * cs, cs), (std::vector<std::size_t>{cs, cs, cs}));
}

// A regular file's chunks are read into a buffer sized by the file's size
// when the Chunker was made (a small file costs a small buffer); a file that
// grew or shrank since is still cut exactly by what it holds now.
TEST(Chunker, CutsARegularFileByWhatItHoldsNowNotTheSizeItHadWhenOpened) {
  const std::uint32_t cs = 4096;
  auto sizes_after = [cs](std::size_t at_open, std::size_t now) {
    char path[] = "/tmp/dfs-chunker-XXXXXX";
    const int fd = ::mkstemp(path);
    EXPECT_GE(fd, 0);
    ::unlink(path);
    EXPECT_TRUE(write_full(fd, Bytes(at_open, 0x11), "file").ok());
    EXPECT_EQ(::lseek(fd, 0, SEEK_SET), 0);
    Chunker chunker(fd, cs, "file");
    EXPECT_EQ(::ftruncate(fd, static_cast<off_t>(now)), 0);
    std::vector<std::size_t> sizes;
    Bytes buf;
    while (chunker.next(buf).value()) sizes.push_back(buf.size());
    EXPECT_EQ(chunker.bytes_read(), now);
    ::close(fd);
    return sizes;
  };
  EXPECT_EQ(sizes_after(100, 100), std::vector<std::size_t>{100});
  EXPECT_EQ(sizes_after(100, 2 * cs + 5), (std::vector<std::size_t>{cs, cs, 5}));
  EXPECT_EQ(sizes_after(cs, cs + 1), (std::vector<std::size_t>{cs, 1}));
  EXPECT_EQ(sizes_after(3 * cs, 50), std::vector<std::size_t>{50});
  EXPECT_EQ(sizes_after(10, 0), std::vector<std::size_t>{});
}

TEST(Chunker, ReportsAReadErrorWithTheSourceName) {
  Chunker chunker(-1, 4096, "my-input");
  Bytes buf;
  auto r = chunker.next(buf);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("my-input"), std::string::npos);
}

}  // namespace
}  // namespace dfs
