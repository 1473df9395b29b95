// Helpers shared by the store tests: scratch directories and test chunks.
#pragma once

#include "../../common/temp_dir.hpp"

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <system_error>

#include "dfs/chunk/chunk_id.hpp"
#include "dfs/util/bytes.hpp"

namespace dfs::store::testing {

// A scratch directory named after these tests.
class TempDir : public dfs::testing::TempDir {
 public:
  TempDir() : dfs::testing::TempDir("dfs-store-test") {}
};

// Stands in for a sealed chunk: the store only cares that the ID is the
// SHA-256 of the bytes, not what the bytes are.
struct TestChunk {
  ChunkId id;
  Bytes bytes;
};

inline TestChunk make_chunk(std::size_t size, std::uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes bytes(size);
  for (auto& b : bytes) b = static_cast<std::uint8_t>(rng());
  return TestChunk{ChunkId::of(bytes), std::move(bytes)};
}

// Number of entries in `dir` (0 if it does not exist).
inline std::size_t count_entries(const std::string& dir) {
  std::error_code ec;
  std::size_t n = 0;
  for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    ++n;
  }
  return n;
}

}  // namespace dfs::store::testing
