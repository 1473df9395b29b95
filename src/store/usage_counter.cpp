#include "dfs/store/usage_counter.hpp"

#include <algorithm>
#include <cassert>
#include <string>
#include <utility>

namespace dfs::store {

UsageCounter::Reservation::Reservation(Reservation&& other) noexcept
    : counter_(std::exchange(other.counter_, nullptr)), bytes_(other.bytes_) {}

UsageCounter::Reservation::~Reservation() {
  if (counter_ != nullptr) counter_->release(bytes_);
}

void UsageCounter::Reservation::commit() {
  assert(counter_ != nullptr);
  std::exchange(counter_, nullptr)->commit(bytes_);
}

Result<UsageCounter::Reservation> UsageCounter::reserve(std::uint64_t bytes) {
  std::lock_guard lock(mutex_);
  const std::uint64_t quota = usage_.quota_bytes;
  // Written as subtractions so that no sum can wrap around.
  const std::uint64_t held = usage_.bytes + reserved_;
  if (quota != 0 && (held > quota || bytes > quota - held)) {
    return make_error(Errc::no_space, "storing " + std::to_string(bytes) + " bytes would exceed the quota of " +
                                          std::to_string(quota) + " bytes (" + std::to_string(usage_.bytes) +
                                          " stored, " + std::to_string(reserved_) + " reserved)");
  }
  reserved_ += bytes;
  return Reservation(this, bytes);
}

void UsageCounter::add_stored(std::uint64_t bytes) {
  std::lock_guard lock(mutex_);
  usage_.bytes += bytes;
  usage_.chunks += 1;
}

void UsageCounter::remove_stored(std::uint64_t bytes) {
  std::lock_guard lock(mutex_);
  // Callers subtract what was added for that very file, but a file can be
  // put into chunks/ behind our back while the store is open (say, from a
  // backup); clamp rather than wrap around. Reopening recounts exactly.
  usage_.bytes -= std::min(usage_.bytes, bytes);
  usage_.chunks -= std::min<std::uint64_t>(usage_.chunks, 1);
}

Usage UsageCounter::usage() const {
  std::lock_guard lock(mutex_);
  return usage_;
}

void UsageCounter::commit(std::uint64_t bytes) {
  std::lock_guard lock(mutex_);
  assert(reserved_ >= bytes);
  reserved_ -= bytes;
  usage_.bytes += bytes;
  usage_.chunks += 1;
}

void UsageCounter::release(std::uint64_t bytes) {
  std::lock_guard lock(mutex_);
  assert(reserved_ >= bytes);
  reserved_ -= bytes;
}

}  // namespace dfs::store
