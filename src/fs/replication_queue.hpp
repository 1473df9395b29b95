// ReplicationQueue: replication of committed versions in the background
// (DESIGN.md §5: on close/flush "replication is queued"), so close(2) never
// waits on the network while the new chunks still reach their R peers soon.
// fsync does not use it: it replicates itself and waits for the acks.
//
// Bounded: at most `max_chunks` chunk IDs wait; a push beyond that is
// dropped with a log line, and the repair loop (which checks every chunk of
// the local store) places those chunks later. On destruction (unmount) new
// pushes stop, the queue keeps draining for at most `drain_bound`, and
// what is still queued then is left to the repair loop as well; a call to
// the network already under way finishes first (it has its own deadline).
//
// Thread-safe. One mutex guards the queue, the counters and stopping_; it
// is never held while calling the network.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "dfs/replicate/chunk_network.hpp"

namespace dfs::fs {

struct ReplicationQueueStats {
  std::uint64_t chunks_queued = 0;
  std::uint64_t chunks_replicated = 0;  // handed to the network and returned
  std::uint64_t chunks_dropped = 0;     // queue full or left at shutdown: repair's
};

class ReplicationQueue {
 public:
  // Chunks handed to the network per call: bounds how long one call (and
  // so the wait at shutdown) can take.
  static constexpr std::size_t kChunksPerCall = 16;

  // `network` must outlive the queue.
  ReplicationQueue(replicate::ChunkNetwork& network, std::size_t max_chunks, std::chrono::milliseconds drain_bound);
  ~ReplicationQueue();
  ReplicationQueue(const ReplicationQueue&) = delete;
  ReplicationQueue& operator=(const ReplicationQueue&) = delete;

  // Queues `chunks` (one committed version) unless that would exceed the
  // bound; never blocks on the network. Returns whether they were queued.
  bool push(std::vector<ChunkId> chunks);
  // Waits until nothing is queued or under way, up to `timeout`; returns
  // whether it got there.
  bool wait_idle(std::chrono::milliseconds timeout);
  ReplicationQueueStats stats() const;

 private:
  void run();

  replicate::ChunkNetwork& network_;
  const std::size_t max_chunks_;
  const std::chrono::milliseconds drain_bound_;
  mutable std::mutex mu_;  // guards everything below but thread_
  std::condition_variable changed_;
  std::deque<ChunkId> queue_;
  bool busy_ = false;  // a network call is under way
  bool stopping_ = false;
  std::chrono::steady_clock::time_point give_up_at_{};
  ReplicationQueueStats stats_;
  std::thread thread_;  // last: starts once the rest is set
};

}  // namespace dfs::fs
