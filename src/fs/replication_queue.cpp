#include "replication_queue.hpp"

#include <algorithm>
#include <utility>

#include "dfs/util/log.hpp"

namespace dfs::fs {

ReplicationQueue::ReplicationQueue(std::size_t max_chunks, std::chrono::milliseconds drain_bound)
    : max_chunks_(max_chunks), drain_bound_(drain_bound), thread_([this] { run(); }) {}

ReplicationQueue::~ReplicationQueue() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    give_up_at_ = std::chrono::steady_clock::now() + drain_bound_;
  }
  changed_.notify_all();
  thread_.join();
  if (!queue_.empty()) {
    log::info("fs: " + std::to_string(queued_chunks_) +
              " chunks not yet confirmed at unmount; the repair loop will place any that failed");
  }
}

bool ReplicationQueue::push(VersionStream::Taken version) {
  const std::size_t chunks = version.sent.size();
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queued_chunks_ + chunks > max_chunks_) {
      stats_.chunks_dropped += chunks;
      note_unplaced(version.sent);
      const std::string why = stopping_ ? "unmounting" : "queue full (" + std::to_string(queued_chunks_) + " chunks)";
      log::warn("fs: replication " + why + "; " + std::to_string(chunks) +
                " chunks not waited for, the repair loop places any that fail");
      return false;
    }
    if (!version.stream) return true;  // nothing sent, nothing to wait for
    queue_.push_back(std::move(version));
    ++versions_queued_;
    queued_chunks_ += chunks;
    stats_.chunks_queued += chunks;
  }
  changed_.notify_all();
  return true;
}

bool ReplicationQueue::wait_idle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, timeout, [this] { return queue_.empty() && !busy_; });
}

bool ReplicationQueue::wait_for_queued(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  const std::uint64_t ticket = versions_queued_;
  return changed_.wait_for(lock, timeout, [this, ticket] { return versions_finished_ >= ticket; });
}

std::vector<ChunkId> ReplicationQueue::take_unplaced() {
  std::lock_guard lock(mu_);
  return std::exchange(unplaced_, {});
}

void ReplicationQueue::keep_unplaced(const std::vector<ChunkId>& ids) {
  std::lock_guard lock(mu_);
  note_unplaced(ids);
}

void ReplicationQueue::note_unplaced(const std::vector<ChunkId>& ids) {
  const std::size_t room = kMaxUnplaced - std::min(kMaxUnplaced, unplaced_.size());
  if (ids.size() > room) {
    log::warn("fs: " + std::to_string(ids.size() - room) + " chunks not confirmed on another peer are left to "
              "the repair loop alone");
  }
  unplaced_.insert(unplaced_.end(), ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(std::min(room, ids.size())));
}

ReplicationQueueStats ReplicationQueue::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void ReplicationQueue::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    changed_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty() || (stopping_ && std::chrono::steady_clock::now() >= give_up_at_)) break;
    VersionStream::Taken version = std::move(queue_.front());
    queue_.pop_front();
    const std::size_t chunks = version.sent.size();
    queued_chunks_ -= chunks;
    busy_ = true;
    lock.unlock();
    const replicate::ReplicationSummary summary = version.stream->finish();
    if (summary.min_confirmed < summary.wanted) {
      log::info("fs: background replication: " + std::to_string(summary.min_confirmed) + " of " +
                std::to_string(summary.wanted) + " copies confirmed for some chunks; repair will add the rest");
    }
    version.stream.reset();  // the stream goes outside the lock
    lock.lock();
    // Confirmed copies count this peer when it is one of the R closest:
    // two make sure that another peer holds one.
    if (summary.min_confirmed < std::min<std::uint32_t>(summary.wanted, 2)) note_unplaced(version.sent);
    busy_ = false;
    ++versions_finished_;
    stats_.chunks_replicated += chunks;
    changed_.notify_all();
  }
  stats_.chunks_dropped += queued_chunks_;
  changed_.notify_all();
}

}  // namespace dfs::fs
