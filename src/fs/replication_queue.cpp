#include "replication_queue.hpp"

#include "dfs/util/log.hpp"

namespace dfs::fs {

ReplicationQueue::ReplicationQueue(replicate::ChunkNetwork& network, std::size_t max_chunks,
                                   std::chrono::milliseconds drain_bound)
    : network_(network), max_chunks_(max_chunks), drain_bound_(drain_bound), thread_([this] { run(); }) {}

ReplicationQueue::~ReplicationQueue() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    give_up_at_ = std::chrono::steady_clock::now() + drain_bound_;
  }
  changed_.notify_all();
  thread_.join();
  if (!queue_.empty()) {
    log::info("fs: " + std::to_string(queue_.size()) +
              " chunks not yet replicated at unmount; the repair loop will place them");
  }
}

bool ReplicationQueue::push(std::vector<ChunkId> chunks) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() + chunks.size() > max_chunks_) {
      stats_.chunks_dropped += chunks.size();
      const std::string why = stopping_ ? "unmounting" : "queue full (" + std::to_string(queue_.size()) + " chunks)";
      log::warn("fs: replication " + why + "; " + std::to_string(chunks.size()) +
                " chunks left for the repair loop");
      return false;
    }
    queue_.insert(queue_.end(), chunks.begin(), chunks.end());
    stats_.chunks_queued += chunks.size();
  }
  changed_.notify_all();
  return true;
}

bool ReplicationQueue::wait_idle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, timeout, [this] { return queue_.empty() && !busy_; });
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
    const std::size_t n = std::min(queue_.size(), kChunksPerCall);
    std::vector<ChunkId> batch(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    busy_ = true;
    lock.unlock();
    const replicate::ReplicationSummary summary = network_.replicate(batch);
    if (summary.min_confirmed < summary.wanted) {
      log::info("fs: background replication: " + std::to_string(summary.min_confirmed) + " of " +
                std::to_string(summary.wanted) + " copies confirmed for some chunks; repair will add the rest");
    }
    lock.lock();
    busy_ = false;
    stats_.chunks_replicated += n;
    changed_.notify_all();
  }
  stats_.chunks_dropped += queue_.size();
  changed_.notify_all();
}

}  // namespace dfs::fs
