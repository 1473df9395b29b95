// Test data the multi-process tests share: deterministic random contents to
// put, and a whole file read back to compare bit-exact.
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

namespace dfs::testing {

// `n` bytes from a seeded generator: the same seed gives the same bytes, and
// nothing compresses or deduplicates them. A tail shorter than 8 bytes stays
// zero.
inline std::string random_content(std::size_t n, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::string s(n, '\0');
  for (std::size_t i = 0; i + 8 <= n; i += 8) {
    const std::uint64_t v = gen();
    std::memcpy(&s[i], &v, 8);
  }
  return s;
}

// The whole file at `path` (empty if it cannot be opened).
inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace dfs::testing
