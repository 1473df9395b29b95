#include "dfs/util/worker_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>

namespace dfs {
namespace {

TEST(WorkerPool, RunsSubmittedJobsAndReturnsTheirResults) {
  WorkerPool pool(2);
  auto a = pool.submit([] { return 20; });
  auto b = pool.submit([] { return 22; });
  EXPECT_EQ(a.get() + b.get(), 42);
}

TEST(OrderedPipeline, ConsumesResultsInSubmissionOrderWithABoundedWindow) {
  WorkerPool pool(2);
  std::atomic<int> running{0};
  std::atomic<int> max_running{0};
  OrderedPipeline<int> pipeline(pool, 3);
  std::vector<int> seen;
  auto consume = [&](int v) {
    seen.push_back(v);
    return true;
  };
  for (int i = 0; i < 50; ++i) {
    pipeline.push(
        [i, &running, &max_running] {
          int now = ++running;
          int prev = max_running.load();
          while (now > prev && !max_running.compare_exchange_weak(prev, now)) {
          }
          std::this_thread::sleep_for(std::chrono::microseconds(50 * (i % 7)));
          --running;
          return i;
        },
        consume);
  }
  EXPECT_TRUE(pipeline.drain(consume));
  ASSERT_EQ(seen.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(seen[static_cast<std::size_t>(i)], i);
  EXPECT_LE(max_running.load(), 3);
}

TEST(OrderedPipeline, StopsConsumingOnceAConsumerSaysStop) {
  WorkerPool pool(2);
  OrderedPipeline<int> pipeline(pool, 2);
  int consumed = 0;
  auto consume = [&](int v) {
    ++consumed;
    return v < 3;
  };
  bool keep_going = true;
  for (int i = 0; i < 10 && keep_going; ++i) keep_going = pipeline.push([i] { return i; }, consume);
  EXPECT_FALSE(keep_going);
  EXPECT_FALSE(pipeline.drain(consume));
  EXPECT_EQ(consumed, 4) << "nothing after the stop is consumed";
}

}  // namespace
}  // namespace dfs
