#include "dfs/util/worker_pool.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>

namespace dfs {
namespace {

TEST(WorkerPool, RunsSubmittedJobsAndReturnsTheirResults) {
  WorkerPool pool(2);
  auto a = pool.submit([] { return 20; });
  auto b = pool.submit([] { return 22; });
  EXPECT_EQ(a.get() + b.get(), 42);
}

// The most jobs seen running at once.
struct Concurrency {
  std::atomic<int> running{0};
  std::atomic<int> most{0};
  void enter() {
    const int now = ++running;
    int prev = most.load();
    while (now > prev && !most.compare_exchange_weak(prev, now)) {
    }
  }
  void leave() { --running; }
};

// A consumer that keeps every result, in the order handed to it.
struct Recorder {
  std::vector<int> seen;
  bool operator()(int v) {
    seen.push_back(v);
    return true;
  }
};

TEST(OrderedPipeline, ConsumesResultsInSubmissionOrderWithABoundedWindow) {
  WorkerPool pool(2);
  Concurrency jobs;
  OrderedPipeline<int> pipeline(pool, 3);
  Recorder consume;
  for (int i = 0; i < 50; ++i) {
    pipeline.push(
        [i, &jobs] {
          jobs.enter();
          std::this_thread::sleep_for(std::chrono::microseconds(50 * (i % 7)));
          jobs.leave();
          return i;
        },
        consume);
  }
  EXPECT_TRUE(pipeline.drain(consume));
  ASSERT_EQ(consume.seen.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(consume.seen[static_cast<std::size_t>(i)], i);
  EXPECT_LE(jobs.most.load(), 3);
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

// Job 0 waits (for at most 30 s: a failing run must still end) until
// job 10 has started, with a window of 4: only a pipeline that starts the
// jobs behind a slow one lets it go before that.
TEST(CompletionPipeline, ASlowJobDoesNotHoldBackTheJobsBehindIt) {
  WorkerPool pool(8);
  std::mutex mu;
  std::condition_variable cv;
  int started = 0;
  bool released_by_others = false;
  CompletionPipeline<int> pipeline(pool, 4);
  Recorder consume;
  for (int i = 0; i < 20; ++i) {
    pipeline.push(
        [&, i] {
          std::unique_lock lock(mu);
          started = std::max(started, i + 1);
          cv.notify_all();
          if (i == 0) released_by_others = cv.wait_for(lock, std::chrono::seconds(30), [&] { return started > 10; });
          return i;
        },
        consume);
  }
  EXPECT_TRUE(pipeline.drain(consume));
  EXPECT_TRUE(released_by_others);
  std::vector<int> seen = consume.seen;
  std::sort(seen.begin(), seen.end());
  ASSERT_EQ(seen.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(seen[static_cast<std::size_t>(i)], i);
}

TEST(CompletionPipeline, KeepsAtMostTheWindowRunningAndStopsOnceAConsumerSaysStop) {
  WorkerPool pool(4);
  Concurrency jobs;
  CompletionPipeline<int> pipeline(pool, 3);
  int consumed = 0;
  auto consume = [&](int v) {
    ++consumed;
    return v != 30;
  };
  bool keep_going = true;
  for (int i = 0; i < 100 && keep_going; ++i) {
    keep_going = pipeline.push(
        [i, &jobs] {
          jobs.enter();
          jobs.leave();
          return i;
        },
        consume);
  }
  EXPECT_FALSE(keep_going);
  EXPECT_FALSE(pipeline.drain(consume));
  EXPECT_LE(jobs.most.load(), 3);
  EXPECT_LE(consumed, 31 + 3) << "nothing taken after the stop is consumed";
}

}  // namespace
}  // namespace dfs
