// ReplicationQueue: the background end of the replication of versions
// committed by close (DESIGN.md §5: on close/flush "replication is
// queued"). A version's new chunks went to the network as they were
// sealed (version_stream.hpp, the same stream a `dfs put` uses); the queue
// waits for their acknowledgements on its own thread, so close(2) never
// waits on the network. fsync does not use it: it waits for its version's
// stream itself.
//
// Bounded: at most `max_chunks` chunks of queued versions wait to be
// confirmed; a version beyond that is not waited for (its chunks are on
// their way all the same, and the repair loop places any that fail), with
// a log line. On destruction (unmount) new pushes stop, the queue keeps
// finishing versions for at most `drain_bound`, and what is still queued
// then is left to the network and the repair loop; a wait already under
// way ends first (the stream has its own deadline).
//
// Thread-safe. One mutex guards the queue, the counters and stopping_; it
// is never held while waiting on the network.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "version_stream.hpp"

namespace dfs::fs {

struct ReplicationQueueStats {
  std::uint64_t chunks_queued = 0;
  std::uint64_t chunks_replicated = 0;  // their stream finished
  std::uint64_t chunks_dropped = 0;     // queue full or left at shutdown: repair's
};

class ReplicationQueue {
 public:
  ReplicationQueue(std::size_t max_chunks, std::chrono::milliseconds drain_bound);
  ~ReplicationQueue();
  ReplicationQueue(const ReplicationQueue&) = delete;
  ReplicationQueue& operator=(const ReplicationQueue&) = delete;

  // Queues the stream of one committed version unless that would exceed
  // the bound; never blocks on the network. Returns whether it was queued.
  bool push(VersionStream::Taken version);
  // Waits until nothing is queued or under way, up to `timeout`; returns
  // whether it got there.
  bool wait_idle(std::chrono::milliseconds timeout);
  // Waits until every version queued before the call has been confirmed
  // (or given up on by its stream), up to `timeout`; returns whether it
  // got there. Versions queued meanwhile are not waited for, so a mount
  // that keeps writing does not hold it off for ever.
  bool wait_for_queued(std::chrono::milliseconds timeout);

  // The chunks that may have no copy on another peer: those of versions
  // pushed beyond the bound (not waited for) and of versions whose stream
  // confirmed fewer than min(R, 2) copies of some chunk (it stalled, or
  // the peers refused). FileSystem::wait_replicated places them before a
  // namespace snapshot is published: none is published while any of them
  // has no copy on another peer.
  // At most kMaxUnplaced are kept (beyond, only the repair loop places
  // them, with a log line).
  static constexpr std::size_t kMaxUnplaced = 1u << 20;
  std::vector<ChunkId> take_unplaced();
  // Gives back what take_unplaced() returned and could not be placed
  // since, for the next snapshot to try again.
  void keep_unplaced(const std::vector<ChunkId>& ids);
  ReplicationQueueStats stats() const;

 private:
  void run();

  const std::size_t max_chunks_;
  const std::chrono::milliseconds drain_bound_;
  mutable std::mutex mu_;  // guards everything below but thread_
  std::condition_variable changed_;
  std::deque<VersionStream::Taken> queue_;
  std::size_t queued_chunks_ = 0;  // of the versions in queue_
  bool busy_ = false;              // a wait on the network is under way
  std::uint64_t versions_queued_ = 0;    // ever, in order
  std::uint64_t versions_finished_ = 0;  // of those, in the same order (one worker)
  std::vector<ChunkId> unplaced_;
  // Adds to unplaced_ within its bound; mu_ held.
  void note_unplaced(const std::vector<ChunkId>& ids);
  bool stopping_ = false;
  std::chrono::steady_clock::time_point give_up_at_{};
  ReplicationQueueStats stats_;
  std::thread thread_;  // last: starts once the rest is set
};

}  // namespace dfs::fs
