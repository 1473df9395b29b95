#include "dfs/util/adaptive_window.hpp"

#include <algorithm>

namespace dfs {

AdaptiveWindow::AdaptiveWindow(std::size_t min, std::size_t max, Clock::time_point now)
    : min_(std::max<std::size_t>(min, 1)), max_(std::max(max, min_)), size_(min_), round_start_(now) {}

void AdaptiveWindow::completed(std::uint64_t bytes, Clock::time_point now, Served served) {
  if (served == Served::locally) return;
  round_bytes_ += bytes;
  if (++round_jobs_ < size_) return;
  const double seconds = std::chrono::duration<double>(now - round_start_).count();
  // A round too short to time says nothing: count it as a gain.
  const double rate = seconds > 0 ? static_cast<double>(round_bytes_) / seconds : 0;
  if (growing_) {
    if (best_rate_ == 0 || rate == 0 || rate >= best_rate_ * kGain) {
      size_ = std::min(max_, 2 * size_);
      stalled_rounds_ = 0;
    } else if (++stalled_rounds_ >= kStalledRounds) {
      growing_ = false;
    }
  }
  best_rate_ = std::max(best_rate_, rate);
  round_start_ = now;
  round_jobs_ = 0;
  round_bytes_ = 0;
}

void AdaptiveWindow::failed() {
  size_ = std::max(min_, size_ / 2);
  growing_ = false;
}

}  // namespace dfs
