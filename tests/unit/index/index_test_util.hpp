// Helpers shared by the index tests: a scratch directory per test (the
// tests run on real SQLite files, WAL and all) and test values.
#pragma once

#include "../../common/temp_dir.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <system_error>

#include "dfs/chunk/chunk_id.hpp"
#include "dfs/index/index.hpp"
#include "dfs/index/sqlite.hpp"

// gtest printers, so failures show IDs and records rather than raw bytes.
namespace dfs {
inline void PrintTo(const ChunkId& id, std::ostream* os) { *os << id.short_hex(); }
}  // namespace dfs
namespace dfs::index {
inline void PrintTo(const FileRecord& f, std::ostream* os) {
  *os << "{" << f.manifest.short_hex() << " '" << f.name << "' size " << f.size << " chunk " << f.chunk_size
      << " x" << f.chunk_count << " at " << f.added_at_unix << "}";
}
}  // namespace dfs::index

namespace dfs::index::testing {

// A scratch directory named after these tests.
class TempDir : public dfs::testing::TempDir {
 public:
  TempDir() : dfs::testing::TempDir("dfs-index-test") {}
};

// A distinct, recognisable ID per n (not a real hash; the index never checks).
inline ChunkId id(std::uint32_t n, std::uint8_t tag = 0xc0) {
  ChunkId out;
  out.bytes.fill(tag);
  for (int i = 0; i < 4; ++i) out.bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(n >> (8 * i));
  return out;
}

inline FileKey key(std::uint8_t fill) {
  FileKey out;
  out.fill(fill);
  return out;
}

inline FileRecord file(std::uint32_t n, std::string name = "") {
  FileRecord f;
  f.manifest = id(n, 0xf1);
  f.key = key(static_cast<std::uint8_t>(n));
  f.name = name.empty() ? "file-" + std::to_string(n) + ".bin" : std::move(name);
  f.size = 3 * 1024 * 1024 + n;
  f.chunk_size = 1024 * 1024;
  f.chunk_count = 4;
  f.added_at_unix = 1'700'000'000 + n;
  return f;
}

// Fixture: a scratch dir and the index file path inside it.
class IndexTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(dir_.ok()) << "mkdtemp failed"; }

  std::unique_ptr<Index> open_index() {
    auto index = Index::open(path());
    EXPECT_TRUE(index.ok()) << index.error().to_string();
    return index.ok() ? std::move(index).value() : nullptr;
  }

  Database open_raw() {
    auto db = Database::open(path());
    EXPECT_TRUE(db.ok()) << db.error().to_string();
    return db.ok() ? std::move(db).value() : Database();
  }

  std::string path() const { return dir_.file("index.db"); }

  TempDir dir_;
};

}  // namespace dfs::index::testing

// Readable failures: EXPECT_OK(status) prints the error.
#define EXPECT_OK(expr)                                                                         \
  do {                                                                                          \
    const auto& dfs_expect_ok_ = (expr);                                                        \
    EXPECT_TRUE(dfs_expect_ok_.ok()) << (dfs_expect_ok_.ok() ? "" : dfs_expect_ok_.error().to_string()); \
  } while (0)
#define ASSERT_OK(expr)                                                                         \
  do {                                                                                          \
    const auto& dfs_assert_ok_ = (expr);                                                        \
    ASSERT_TRUE(dfs_assert_ok_.ok()) << (dfs_assert_ok_.ok() ? "" : dfs_assert_ok_.error().to_string()); \
  } while (0)
