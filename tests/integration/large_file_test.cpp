// A multi-GiB round trip through the real binary, streamed through pipes
// both ways so that neither the test nor dfs ever holds the file: 4 GiB + 1
// byte crosses the 2^32 boundary where 32-bit offsets or sizes would wrap.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "../common/temp_dir.hpp"
#include "dfs/crypto/crypto.hpp"
#include "dfs/util/file.hpp"
#include "run_process.hpp"

namespace dfs::testing {
namespace {

// Deterministic, incompressible bytes (xorshift64*), produced block by block.
class StreamGenerator {
 public:
  explicit StreamGenerator(std::uint64_t seed) : state_(seed) {}
  void fill(std::uint8_t* out, std::size_t n) {
    for (std::size_t i = 0; i < n; i += 8) {
      state_ ^= state_ >> 12;
      state_ ^= state_ << 25;
      state_ ^= state_ >> 27;
      std::uint64_t v = state_ * 0x2545F4914F6CDD1Dull;
      std::memcpy(out + i, &v, std::min<std::size_t>(8, n - i));
    }
  }

 private:
  std::uint64_t state_;
};

std::uint64_t large_file_size() {
  if (const char* mib = std::getenv("DFS_LARGE_FILE_MIB")) return std::strtoull(mib, nullptr, 10) << 20;
  return (std::uint64_t{4} << 30) + 1;
}

TEST(LargeFile, AMultiGibFileRoundTripsBitExactThroughPipes) {
  TempDir tmp("dfs-large-test");
  ASSERT_TRUE(tmp.ok());
  const std::string dir = tmp.path();
  const std::uint64_t size = large_file_size();

  crypto::Sha256 sent_hash;
  ProcessOptions put_options;
  put_options.feed_stdin = [&](int fd) {
    StreamGenerator gen(42);
    Bytes block(1 << 20);
    for (std::uint64_t done = 0; done < size;) {
      std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(block.size(), size - done));
      gen.fill(block.data(), n);
      sent_hash.update(ByteView(block).first(n));
      if (!write_full(fd, ByteView(block).first(n), "dfs put stdin").ok()) break;
      done += n;
    }
    ::close(fd);
  };
  auto put = run_process(binary_from_env("DFS_BIN"), {"--data", dir, "put", "-"}, put_options);
  ASSERT_EQ(put.exit_code, 0) << put.err;
  const std::string id = put.out.substr(0, put.out.find('\n'));

  crypto::Sha256 received_hash;
  std::uint64_t received = 0;
  ProcessOptions get_options;
  get_options.on_stdout = [&](const char* data, std::size_t n) {
    received_hash.update(ByteView(reinterpret_cast<const std::uint8_t*>(data), n));
    received += n;
  };
  auto get = run_process(binary_from_env("DFS_BIN"), {"--data", dir, "get", id, "-o", "-"}, get_options);
  EXPECT_EQ(get.exit_code, 0) << get.err;
  EXPECT_EQ(received, size);
  EXPECT_EQ(received_hash.finish(), sent_hash.finish());
}

}  // namespace
}  // namespace dfs::testing
