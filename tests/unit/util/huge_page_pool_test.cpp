#include "dfs/util/huge_page_pool.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cstring>
#include <set>
#include <vector>

namespace dfs {
namespace {

constexpr std::size_t kMiB = std::size_t{1} << 20;

long minor_faults_of_this_thread() {
  struct rusage usage{};
  getrusage(RUSAGE_THREAD, &usage);
  return usage.ru_minflt;
}

bool huge_page_aligned(const std::uint8_t* p) { return reinterpret_cast<std::uintptr_t>(p) % HugePagePool::kHugePage == 0; }

TEST(HugePagePool, TwoChunkSlotsShareOneHugePageAlignedSlab) {
  HugePagePool pool(kMiB, 0);
  std::uint8_t* a = pool.acquire();
  std::uint8_t* b = pool.acquire();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(pool.mapped_bytes(), HugePagePool::kHugePage);
  EXPECT_TRUE(huge_page_aligned(std::min(a, b)));
  EXPECT_EQ(std::max(a, b) - std::min(a, b), static_cast<std::ptrdiff_t>(kMiB));
  std::memset(a, 0xa5, kMiB);  // each slot is all usable, and apart from the other
  std::memset(b, 0x5a, kMiB);
  EXPECT_EQ(a[kMiB - 1], 0xa5);
  pool.release(a);
  pool.release(b);
}

TEST(HugePagePool, AReleasedSlotIsHandedOutAgainWithoutNewPages) {
  HugePagePool pool(kMiB, 8 * kMiB);
  std::vector<std::uint8_t*> slots;
  for (int i = 0; i < 8; ++i) slots.push_back(pool.acquire());
  for (std::uint8_t* slot : slots) std::memset(slot, 1, kMiB);
  const std::set<std::uint8_t*> first(slots.begin(), slots.end());
  for (std::uint8_t* slot : slots) pool.release(slot);
  const long before = minor_faults_of_this_thread();
  slots.clear();
  for (int i = 0; i < 8; ++i) slots.push_back(pool.acquire());
  for (std::uint8_t* slot : slots) std::memset(slot, 2, kMiB);
  EXPECT_EQ(std::set<std::uint8_t*>(slots.begin(), slots.end()), first);
  EXPECT_EQ(pool.mapped_bytes(), 8 * kMiB);
  // Fresh 4 KiB pages for 8 MiB would be 2,048 faults.
  EXPECT_LT(minor_faults_of_this_thread() - before, 64);
  for (std::uint8_t* slot : slots) pool.release(slot);
}

TEST(HugePagePool, FreeSlabsBeyondWhatItKeepsAreUnmapped) {
  HugePagePool pool(kMiB, 2 * kMiB);
  std::vector<std::uint8_t*> slots;
  for (int i = 0; i < 8; ++i) slots.push_back(pool.acquire());
  EXPECT_EQ(pool.mapped_bytes(), 8 * kMiB);
  for (std::uint8_t* slot : slots) pool.release(slot);
  EXPECT_EQ(pool.mapped_bytes(), 2 * kMiB);
  // What is left still serves.
  std::uint8_t* again = pool.acquire();
  ASSERT_NE(again, nullptr);
  std::memset(again, 3, kMiB);
  pool.release(again);
}

TEST(HugePagePool, ASlabHoldsNoMoreSlotsThanFitWhole) {
  HugePagePool pool(3 * kMiB / 2, 0);  // one per 2 MiB slab
  std::uint8_t* a = pool.acquire();
  std::uint8_t* b = pool.acquire();
  EXPECT_EQ(pool.mapped_bytes(), 2 * HugePagePool::kHugePage);
  EXPECT_TRUE(huge_page_aligned(a));
  EXPECT_TRUE(huge_page_aligned(b));
  pool.release(a);
  pool.release(b);
  EXPECT_EQ(pool.mapped_bytes(), 0u);
}

TEST(HugePagePool, ASlotLargerThanAHugePageGetsASlabOfItsOwn) {
  HugePagePool pool(3 * kMiB, 0);
  std::uint8_t* a = pool.acquire();
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(huge_page_aligned(a));
  EXPECT_EQ(pool.mapped_bytes(), 4 * kMiB);
  std::memset(a, 4, 3 * kMiB);
  pool.release(a);
  EXPECT_EQ(pool.mapped_bytes(), 0u);
}

}  // namespace
}  // namespace dfs
