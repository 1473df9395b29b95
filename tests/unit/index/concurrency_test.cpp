// Concurrent use: many threads on one Index (one connection, one mutex) and
// several Index objects on one file (several connections, SQLite's locks).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <thread>
#include <vector>

#include "dfs/index/index.hpp"
#include "index_test_util.hpp"

namespace dfs::index {
namespace {

using testing::file;
using testing::id;

constexpr int kThreads = 8;
constexpr int kFilesPerThread = 20;

// File n references its own chunk and one shared by all files.
Status record(Index& index, std::uint32_t n) {
  return index.record_file(file(n), {id(n), id(0xffff)});
}

// Runs `body(thread_number)` on kThreads threads and waits for them.
template <typename Body>
void run_threads(Body body) {
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(body, t);
  for (auto& thread : threads) thread.join();
}

class ConcurrencyTest : public testing::IndexTest {};

TEST_F(ConcurrencyTest, ManyThreadsWritingAndReadingOneIndexLoseNothing) {
  auto index = open_index();
  ASSERT_NE(index, nullptr);
  std::atomic<int> failures{0};
  run_threads([&](int t) {
    for (int i = 0; i < kFilesPerThread; ++i) {
      auto n = static_cast<std::uint32_t>(1 + t * kFilesPerThread + i);
      if (!record(*index, n).ok()) ++failures;
      // Reads interleave with other threads' writes.
      auto referenced = index->is_referenced(id(n));
      if (!referenced.ok() || !*referenced) ++failures;
      if (!index->list_files().ok() || !index->unreferenced({id(n), id(n + 100000)}).ok()) ++failures;
    }
  });
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(index->list_files()->size(), static_cast<std::size_t>(kThreads * kFilesPerThread));
  // Each file's chunk and manifest, and the chunk they all share.
  EXPECT_EQ(*index->referenced_chunk_count(), static_cast<std::uint64_t>(2 * kThreads * kFilesPerThread + 1));
}

TEST_F(ConcurrencyTest, SeveralConnectionsToOneFileWaitForEachOtherInsteadOfFailing) {
  std::vector<std::unique_ptr<Index>> indexes;
  for (int i = 0; i < 3; ++i) {
    indexes.push_back(open_index());  // the first migrates; the others find it done
    ASSERT_NE(indexes.back(), nullptr);
  }
  std::atomic<int> failures{0};
  run_threads([&](int t) {
    Index& index = *indexes[static_cast<std::size_t>(t) % indexes.size()];
    for (int i = 0; i < kFilesPerThread; ++i) {
      Status status = record(index, static_cast<std::uint32_t>(1 + t * kFilesPerThread + i));
      if (!status.ok()) {
        ADD_FAILURE() << status.error().to_string();
        ++failures;
      }
    }
  });
  EXPECT_EQ(failures.load(), 0);
  for (auto& index : indexes) {
    EXPECT_EQ(index->list_files()->size(), static_cast<std::size_t>(kThreads * kFilesPerThread));
  }
}

TEST_F(ConcurrencyTest, ConcurrentOpensOfANewFileMigrateItOnce) {
  std::vector<Result<std::unique_ptr<Index>>> opened;
  std::mutex mu;
  run_threads([&](int) {
    auto index = Index::open(path());
    std::lock_guard lock(mu);
    opened.push_back(std::move(index));
  });
  for (auto& index : opened) {
    ASSERT_OK(index);
    auto root = (*index)->get_inode(kRootIno);
    EXPECT_OK(root);
  }
}

TEST_F(ConcurrencyTest, ThreadsAddingEntriesToOneDirectoryAllSucceed) {
  auto index = open_index();
  ASSERT_NE(index, nullptr);
  std::atomic<int> failures{0};
  run_threads([&](int t) {
    for (int i = 0; i < kFilesPerThread; ++i) {
      InodeAttr attr;
      attr.mode = S_IFREG | 0644;
      attr.nlink = 1;
      auto ino = index->create_inode(attr);
      // Appended, not "t" + ...: GCC 12 at -O3 warns falsely (-Wrestrict) on the latter.
      std::string name = std::to_string(t);
      name.append("-").append(std::to_string(i));
      if (!ino.ok() || !index->add_entry(kRootIno, name, *ino).ok()) {
        ++failures;
      }
    }
  });
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(index->list_dir(kRootIno)->size(), static_cast<std::size_t>(kThreads * kFilesPerThread));
}

}  // namespace
}  // namespace dfs::index
