// Waiting for a condition with a deadline, never for a fixed time: polls
// `condition` every few milliseconds until it holds (true) or `seconds`
// pass (false).
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace dfs::testing {

inline bool wait_until(const std::function<bool()>& condition, double seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace dfs::testing
