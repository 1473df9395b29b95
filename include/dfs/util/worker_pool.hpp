// A fixed pool of threads for CPU work (hashing, AES) and blocking disk I/O,
// sized to the cores (DESIGN.md §6). submit() returns a std::future.
//
// OrderedPipeline runs a sequence of jobs on the pool with a bounded number
// in flight and hands their results back in submission order: the shape of
// both `put` (read → seal+store in parallel → collect IDs in order) and
// `get` (fetch+verify+decrypt in parallel → write in order), with memory
// bounded by the window instead of the file size.
//
// CompletionPipeline is the same with results handed back as they
// complete, in any order: the window then bounds the jobs running, and one
// slow job does not hold back the start of those behind it (a get written
// at each chunk's offset: one chunk slow to arrive across a long link
// would otherwise stop the fetches behind it once the window fills).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace dfs {

class WorkerPool {
 public:
  // threads == 0 means one per hardware thread.
  explicit WorkerPool(std::size_t threads = 0);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  std::size_t size() const { return threads_.size(); }

  template <typename F>
  auto submit(F&& fn) -> std::future<decltype(fn())> {
    using R = decltype(fn());
    auto task = std::make_shared<std::packaged_task<R()>>(std::forward<F>(fn));
    std::future<R> fut = task->get_future();
    enqueue([task] { (*task)(); });
    return fut;
  }

 private:
  void enqueue(std::function<void()> job);
  void run();

  std::mutex mu_;                          // guards queue_ and stopping_
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

template <typename T>
class OrderedPipeline {
 public:
  // `window` bounds the jobs submitted but not yet consumed.
  OrderedPipeline(WorkerPool& pool, std::size_t window) : pool_(pool), window_(window ? window : 1) {}

  // Runs `job` on the pool. If the window is full, first hands the oldest
  // result to `consume` (in order). A false from consume means "stop": no
  // later result is consumed nor job started, and push returns false.
  template <typename Job, typename Consume>
  bool push(Job&& job, Consume&& consume) {
    while (in_flight_.size() >= window_) pop(consume);
    if (!stopped_) in_flight_.push_back(pool_.submit(std::forward<Job>(job)));
    return !stopped_;
  }

  // A new bound for the window (at least 1). A narrower window takes
  // effect as results are consumed: jobs already running are not undone.
  void set_window(std::size_t window) { window_ = window ? window : 1; }

  // Hands every remaining result to `consume` in order. Returns false if
  // any consume returned false (later results are still waited for, so no
  // job outlives the pipeline, but not consumed).
  template <typename Consume>
  bool drain(Consume&& consume) {
    while (!in_flight_.empty()) pop(consume);
    return !stopped_;
  }

  ~OrderedPipeline() {
    for (auto& f : in_flight_) f.wait();
  }

 private:
  // Takes the oldest result; hands it on unless a consumer already said stop.
  template <typename Consume>
  void pop(Consume& consume) {
    T value = in_flight_.front().get();
    in_flight_.pop_front();
    if (!stopped_) stopped_ = !consume(std::move(value));
  }

  WorkerPool& pool_;
  bool stopped_ = false;
  std::size_t window_;
  std::deque<std::future<T>> in_flight_;
};

template <typename T>
class CompletionPipeline {
 public:
  // `window` bounds the jobs submitted whose result was not consumed yet.
  CompletionPipeline(WorkerPool& pool, std::size_t window)
      : pool_(pool), window_(window ? window : 1), done_(std::make_shared<Done>()) {}

  // Runs `job` on the pool. If the window is full, first hands results
  // that completed to `consume` (waiting for one if none has). A false
  // from consume means "stop": no later result is consumed nor job
  // started, and push returns false.
  template <typename Job, typename Consume>
  bool push(Job&& job, Consume&& consume) {
    while (!stopped_ && in_flight_ >= window_) take(consume);
    if (stopped_) return false;
    ++in_flight_;
    pool_.submit([done = done_, job = std::forward<Job>(job)]() mutable {
      T value = job();
      std::lock_guard lock(done->mu);
      done->results.push_back(std::move(value));
      done->cv.notify_all();
    });
    return true;
  }

  void set_window(std::size_t window) { window_ = window ? window : 1; }

  // Hands every remaining result to `consume` as they complete. Returns
  // false if any consume returned false (later results are still waited
  // for, so no job outlives the pipeline, but not consumed).
  template <typename Consume>
  bool drain(Consume&& consume) {
    while (in_flight_ > 0) take(consume);
    return !stopped_;
  }

  ~CompletionPipeline() {
    auto noop = [](T) { return true; };
    stopped_ = true;
    while (in_flight_ > 0) take(noop);
  }

 private:
  struct Done {
    std::mutex mu;  // guards results
    std::condition_variable cv;
    std::deque<T> results;
  };

  // Takes every completed result (waiting for one); hands each on unless
  // a consumer already said stop.
  template <typename Consume>
  void take(Consume& consume) {
    std::deque<T> ready;
    {
      std::unique_lock lock(done_->mu);
      done_->cv.wait(lock, [&] { return !done_->results.empty(); });
      ready.swap(done_->results);
    }
    in_flight_ -= ready.size();
    for (T& value : ready) {
      if (!stopped_) stopped_ = !consume(std::move(value));
    }
  }

  WorkerPool& pool_;
  bool stopped_ = false;
  std::size_t window_;
  std::size_t in_flight_ = 0;  // submitted, not taken
  std::shared_ptr<Done> done_;
};

}  // namespace dfs
