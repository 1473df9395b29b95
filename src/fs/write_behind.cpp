#include "write_behind.hpp"

#include <chrono>

namespace dfs::fs {

WriteBehind::WriteBehind(store::ChunkStore& store, WorkerPool& pool, store::InFlightChunks* in_flight,
                         std::size_t window)
    : store_(store), pool_(pool), window_(window ? window : 1),
      hold_(in_flight ? in_flight->hold() : store::InFlightChunks::Hold()) {}

WriteBehind::~WriteBehind() {
  for (Seal& seal : seals_) seal.outcome.wait();
  std::unique_lock lock(mu_);
  changed_.wait(lock, [this] { return !publishing_; });
}

void WriteBehind::start(std::uint64_t index, const store::VersionWriter& writer, Bytes plaintext) {
  auto job = [this, index, &writer, plaintext = std::move(plaintext)]() mutable {
    return seal_and_stage(index, writer, std::move(plaintext));
  };
  seals_.push_back(Seal{index, pool_.submit(std::move(job))});
}

bool WriteBehind::sealing(std::uint64_t index) const {
  for (const Seal& seal : seals_) {
    if (seal.index == index) return true;
  }
  return false;
}

std::optional<WriteBehind::Outcome> WriteBehind::poll_oldest() {
  if (seals_.empty() || seals_.front().outcome.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    return std::nullopt;
  }
  return wait_oldest();
}

WriteBehind::Outcome WriteBehind::wait_oldest() {
  Outcome outcome = seals_.front().outcome.get();
  seals_.pop_front();
  return outcome;
}

WriteBehind::Outcome WriteBehind::seal_and_stage(std::uint64_t index, const store::VersionWriter& writer,
                                                 Bytes plaintext) {
  Result<ChunkRef> ref = stage(writer, plaintext);
  if (!ref.ok()) return Outcome{index, ref.take_error(), std::move(plaintext)};
  return Outcome{index, *ref, {}};
}

// The seal and put run outside mu_ (a disk store writes the chunk file
// there), so seals stage in parallel; the batch's writer count keeps a
// publish from committing it meanwhile.
Result<ChunkRef> WriteBehind::stage(const store::VersionWriter& writer, ByteView plaintext) {
  std::unique_lock lock(mu_);
  // Nothing staged after a failed publish could be published: the caller
  // keeps such a chunk as dirty data instead.
  DFS_TRY(Status(publish_failure_));
  if (!batch_) batch_ = std::make_shared<Staging>(store::InFlightChunks::tracked(store_.begin_batch(), hold_));
  std::shared_ptr<Staging> staging = batch_;
  ++staging->writers;
  lock.unlock();
  Result<ChunkRef> put = writer.write_chunk(plaintext, *staging->batch);
  lock.lock();
  --staging->writers;
  changed_.notify_all();
  if (put.ok() && !publishing_) {
    publishing_ = true;
    (void)pool_.submit([this] { publish_all(); });
  }
  return put;
}

// One publish at a time: the chunks staged while a commit runs go into the
// next batch, so batches grow with the writer's speed and each commit's
// sync covers as many chunks as came meanwhile.
void WriteBehind::publish_all() {
  std::unique_lock lock(mu_);
  while (batch_ && publish_failure_.ok()) {
    std::shared_ptr<Staging> staging = std::move(batch_);
    changed_.wait(lock, [&] { return staging->writers == 0; });
    lock.unlock();
    // Unsynced, as the close's own batch: FsImpl::make_durable syncs them.
    Status committed = staging->batch->commit_unsynced();
    staging.reset();
    lock.lock();
    if (!committed.ok()) publish_failure_ = std::move(committed);
  }
  publishing_ = false;
  changed_.notify_all();
}

Status WriteBehind::wait_published() {
  std::unique_lock lock(mu_);
  changed_.wait(lock, [this] { return !publishing_; });
  return publish_failure_;
}

void WriteBehind::release_hold() {
  std::lock_guard lock(mu_);
  hold_.release();
}

}  // namespace dfs::fs
