// eventually(): how a test waits for what another thread or process makes
// true — poll the condition until a deadline, then report whether it held.
// Tests never sleep and then assert (HELPERS.md): a sleep too short flakes
// under load, and one long enough makes the test slow; this returns as soon
// as the condition holds and fails only when it never does in time.
//
//   ASSERT_TRUE(testing::eventually([&] { return peer.known() == 3; }, 10s));
#pragma once

#include <chrono>
#include <thread>

namespace dfs::testing {

template <typename Condition>
bool eventually(Condition&& condition, std::chrono::milliseconds limit = std::chrono::seconds(10),
                std::chrono::milliseconds poll = std::chrono::milliseconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(poll);
  }
  return condition();
}

}  // namespace dfs::testing
