// WriteBehind: seals and stores the chunks a writer has finished, in the
// background, while it goes on writing the next ones (FileContent's
// write-behind). Without it every chunk of a large write waits for the
// commit to be sealed (AES-GCM + SHA-256) and written to the store, so a
// 1 GiB copy first copies, then seals, then writes the disk, one after
// the other; with it the three overlap.
//
// A seal runs on the worker pool: the content's VersionWriter
// (store/version_writer.hpp) seals the plaintext, stages the chunk into
// the current store batch and hands the sealed bytes to the version's
// replication stream; the seal hands back its ChunkRef (or, if the put
// failed, the plaintext, so the caller keeps it as dirty data and loses
// nothing). Staged chunks are published (the batch committed
// unsynced: visible in the store, made durable with the commit that names
// them by the filesystem's grouped sync, fs_durability.cpp) by one publish
// job at a time on the pool, which commits whatever was staged meanwhile,
// so publishing keeps up with the writer with no timer and nothing stays
// staged in the store's tmp/ for long (GC sweeps tmp/ files older than an
// hour).
//
// GC safety: each chunk is added to a Hold of InFlightChunks before it is
// put and stays held until release_hold(), which the owner calls once the
// index names the chunks (after its commit) or when it drops the content.
// Chunks stored ahead that no commit ever names (the chunk was written
// again, the file was unlinked, the mount crashed) are then unreferenced
// and GC reclaims them.
//
// Thread-safety: full, idle, start, sealing, poll_oldest and wait_oldest
// are called by one owner at a time (FileContent's, serialised by its
// FileState); the pool jobs share only mu_'s state with it.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <optional>

#include "dfs/chunk/manifest.hpp"
#include "dfs/store/in_flight.hpp"
#include "dfs/store/version_writer.hpp"
#include "dfs/util/worker_pool.hpp"

namespace dfs::fs {

class WriteBehind {
 public:
  // What became of one background seal.
  struct Outcome {
    std::uint64_t index = 0;
    Result<ChunkRef> ref{ChunkRef{}};
    Bytes plaintext;  // handed back when `ref` failed, empty otherwise
  };

  // `in_flight` may be null (no GC runs). At most `window` seals at once.
  WriteBehind(store::ChunkStore& store, WorkerPool& pool, store::InFlightChunks* in_flight, std::size_t window);
  // Waits for the seals and the publish still running (they use the store).
  ~WriteBehind();
  WriteBehind(const WriteBehind&) = delete;
  WriteBehind& operator=(const WriteBehind&) = delete;

  // Whether a new seal would have to wait for the oldest (window full).
  bool full() const { return seals_.size() >= window_; }
  bool idle() const { return seals_.empty(); }
  std::size_t running() const { return seals_.size(); }
  // Starts sealing chunk `index` (a full chunk of `plaintext`) with
  // `writer`, which must outlive the seal. Call only when !full().
  void start(std::uint64_t index, const store::VersionWriter& writer, Bytes plaintext);
  // Whether chunk `index` is being sealed (its outcome not yet taken).
  bool sealing(std::uint64_t index) const;
  // The oldest seal's outcome if it finished, without waiting.
  std::optional<Outcome> poll_oldest();
  // The oldest seal's outcome, waiting for it. Call only when !idle().
  Outcome wait_oldest();

  // Waits until every chunk staged so far is published. A failed publish
  // is sticky: its chunks are lost, so this and every later call fail.
  Status wait_published();
  // The index now names what was stored: GC may judge those chunks again.
  // No seal may be running.
  void release_hold();

 private:
  // Runs on the pool: seals, stages, and gets a publish going.
  Outcome seal_and_stage(std::uint64_t index, const store::VersionWriter& writer, Bytes plaintext);
  Result<ChunkRef> stage(const store::VersionWriter& writer, ByteView plaintext);
  // Commits the staged batches until none is left.
  void publish_all();

  store::ChunkStore& store_;
  WorkerPool& pool_;
  const std::size_t window_;
  struct Seal {
    std::uint64_t index;
    std::future<Outcome> outcome;
  };
  std::deque<Seal> seals_;  // oldest first; the owner's only

  // A batch being filled, and how many puts into it are running.
  struct Staging {
    explicit Staging(std::unique_ptr<store::PutBatch> b) : batch(std::move(b)) {}
    std::unique_ptr<store::PutBatch> batch;
    std::size_t writers = 0;  // guarded by mu_
  };

  // Guards batch_, every Staging's writers, publishing_, publish_failure_
  // and the release of hold_ (whose adds, from the puts, it does not need).
  mutable std::mutex mu_;
  std::condition_variable changed_;  // a put into a batch ended, or publishing_ did
  store::InFlightChunks::Hold hold_;   // declared before batch_: the batch adds to it
  std::shared_ptr<Staging> batch_;     // chunks staged since the last publish began
  bool publishing_ = false;            // a publish job runs
  Status publish_failure_;
};

}  // namespace dfs::fs
