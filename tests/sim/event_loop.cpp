#include "sim/event_loop.hpp"

#include <algorithm>

namespace dfs::sim {

EventLoop::EventLoop() : now_(TimePoint{} + std::chrono::hours(1)) {}

std::uint64_t EventLoop::schedule(milliseconds delay, std::function<void()> fn) {
  const std::uint64_t id = next_id_++;
  queue_.push(Entry{now_ + std::max(delay, milliseconds(0)), id});
  functions_.emplace(id, std::move(fn));
  return id;
}

void EventLoop::cancel(std::uint64_t timer) { functions_.erase(timer); }

void EventLoop::skip_cancelled() {
  while (!queue_.empty() && !functions_.contains(queue_.top().id)) queue_.pop();
}

bool EventLoop::run_one() {
  skip_cancelled();
  if (queue_.empty()) return false;
  const Entry next = queue_.top();
  queue_.pop();
  auto it = functions_.find(next.id);
  std::function<void()> fn = std::move(it->second);
  functions_.erase(it);
  now_ = next.when;
  ++events_run_;
  fn();
  return true;
}

bool EventLoop::run_until(const std::function<bool()>& pred, TimePoint deadline) {
  while (!pred()) {
    skip_cancelled();
    if (queue_.empty()) return false;
    if (queue_.top().when > deadline) {
      now_ = std::max(now_, deadline);
      return pred();
    }
    run_one();
  }
  return true;
}

void EventLoop::run_for(milliseconds d) {
  const TimePoint end = now_ + d;
  run_until([] { return false; }, end);
  now_ = end;
}

}  // namespace dfs::sim
