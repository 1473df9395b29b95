#include "dfs/util/memory.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <memory>
#include <vector>

#include "dfs/util/bytes.hpp"

namespace dfs {
namespace {

long minor_faults_of_this_thread() {
  struct rusage usage{};
  getrusage(RUSAGE_THREAD, &usage);
  return usage.ru_minflt;
}

// Allocates (and touches, Bytes zero-fills) 8 buffers of 1 MiB, then frees them.
void allocate_and_free_chunk_buffers() {
  std::vector<std::unique_ptr<Bytes>> buffers;
  for (int i = 0; i < 8; ++i) buffers.push_back(std::make_unique<Bytes>(std::size_t{1} << 20));
}

TEST(Memory, ChunkBuffersFreedAndAllocatedAgainReuseTheirPages) {
#if defined(__SANITIZE_ADDRESS__)
  // The normal build runs it (scripts/test.sh runs both).
  GTEST_SKIP() << "AddressSanitizer replaces glibc's allocator, whose thresholds this test measures";
#endif
  ASSERT_TRUE(keep_large_buffers_mapped(std::size_t{2} << 20, std::size_t{32} << 20).ok());
  allocate_and_free_chunk_buffers();
  const long before = minor_faults_of_this_thread();
  allocate_and_free_chunk_buffers();
  allocate_and_free_chunk_buffers();
  // Fresh pages for 16 MiB would be 4,096 faults.
  EXPECT_LT(minor_faults_of_this_thread() - before, 64);
}

TEST(Memory, ThresholdsGlibcCannotTakeAreRefused) {
  EXPECT_EQ(keep_large_buffers_mapped(std::size_t{1} << 40, 0).error().code, Errc::invalid_argument);
}

}  // namespace
}  // namespace dfs
