#include "read_wakeups.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace dfs::net {
namespace {

// Walks a payload of `size` bytes arriving in reads of `step` bytes, as
// Connection::read_more asks before each read, and returns every mark set.
std::vector<std::size_t> marks_over(std::size_t size, std::size_t step, std::size_t& changes) {
  std::vector<std::size_t> marks;
  std::size_t mark = 1;
  changes = 0;
  for (std::size_t got = 0; got < size; got += step) {
    const std::size_t missing = size - got;
    const std::size_t next = ReadWakeups::next(mark, missing);
    if (next != mark) ++changes;
    mark = next;
    marks.push_back(mark);
    // Never more than what is sure to arrive, less what TLS may hold.
    if (mark > 1) {
      EXPECT_LE(mark + ReadWakeups::kMargin, missing) << "at " << got << " of " << size;
    }
  }
  return marks;
}

TEST(ReadWakeupsTest, BetweenPayloadsTheReaderWakesForEveryByte) {
  EXPECT_EQ(ReadWakeups::next(1, 0), 1u);
  EXPECT_EQ(ReadWakeups::next(512 * 1024, 0), 1u);
}

TEST(ReadWakeupsTest, ASmallPayloadNeverRaisesTheMark) {
  std::size_t changes = 0;
  for (std::size_t mark : marks_over(ReadWakeups::kMargin + ReadWakeups::kMinMark - 1, 1024, changes)) {
    EXPECT_EQ(mark, 1u);
  }
  EXPECT_EQ(changes, 0u);
}

TEST(ReadWakeupsTest, AChunkRaisesTheMarkOnceAndLowersItInAFewStepsNeverAboveWhatIsMissing) {
  std::size_t changes = 0;
  const std::vector<std::size_t> marks = marks_over((1u << 20) + 29, 16 * 1024, changes);
  EXPECT_EQ(marks.front(), ReadWakeups::kMaxMark);
  EXPECT_EQ(marks.back(), 1u);
  for (std::size_t i = 1; i < marks.size(); ++i) EXPECT_LE(marks[i], marks[i - 1]) << "raised again at read " << i;
  // 512 KiB down to 128 KiB in 64 KiB steps, then 1: not one per record.
  EXPECT_LE(changes, 8u);
}

TEST(ReadWakeupsTest, ReadsOfAnySizeKeepTheMarkSafe) {
  for (std::size_t step : {1u, 1000u, 17u * 1024, 100u * 1024, 600u * 1024}) {
    std::size_t changes = 0;
    marks_over(3u * 1024 * 1024 + 5, step, changes);
  }
}

}  // namespace
}  // namespace dfs::net
