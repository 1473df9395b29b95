// LruCache: what the read cache relies on to stay within its budgets.
#include "lru_cache.hpp"

#include <gtest/gtest.h>

#include <string>

namespace dfs::fs {
namespace {

TEST(LruCache, FindsWhatWasInserted) {
  LruCache<int, std::string> cache(10);
  cache.insert(1, "one", 1);
  ASSERT_NE(cache.find(1), nullptr);
  EXPECT_EQ(*cache.find(1), "one");
  EXPECT_EQ(cache.find(2), nullptr);
}

TEST(LruCache, ForgetsTheLeastRecentlyUsedOncePastItsBudget) {
  LruCache<int, std::string> cache(3);
  cache.insert(1, "one", 1);
  cache.insert(2, "two", 1);
  cache.insert(3, "three", 1);
  ASSERT_NE(cache.find(1), nullptr);  // 1 is now more recent than 2
  cache.insert(4, "four", 1);
  EXPECT_FALSE(cache.contains(2));
  EXPECT_TRUE(cache.contains(1));
  EXPECT_TRUE(cache.contains(3));
  EXPECT_TRUE(cache.contains(4));
}

TEST(LruCache, ACostlyEntryPushesOutAsManyAsItNeeds) {
  LruCache<int, std::string> cache(10);
  for (int i = 0; i < 5; ++i) cache.insert(i, "x", 2);
  cache.insert(9, "big", 7);
  EXPECT_TRUE(cache.contains(9));
  EXPECT_TRUE(cache.contains(4));  // 7 + 2 fits, 7 + 4 does not
  EXPECT_FALSE(cache.contains(3));
}

TEST(LruCache, NeverKeepsAnEntryCostlierThanTheWholeBudgetNorReplacesOne) {
  LruCache<int, std::string> cache(5);
  cache.insert(1, "one", 1);
  cache.insert(2, "huge", 6);
  EXPECT_FALSE(cache.contains(2));
  EXPECT_TRUE(cache.contains(1));
  cache.insert(1, "other", 1);
  EXPECT_EQ(*cache.find(1), "one");
}

}  // namespace
}  // namespace dfs::fs
