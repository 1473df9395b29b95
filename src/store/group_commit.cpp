#include "dfs/store/group_commit.hpp"

#include <algorithm>

namespace dfs::store {

struct GroupCommitter::Group {
  explicit Group(std::unique_ptr<PutBatch> b) : batch(std::move(b)) {}
  std::unique_ptr<PutBatch> batch;
  std::size_t joined = 0;   // puts that entered the group, to close it when full
  std::size_t writing = 0;  // members still writing into the batch: the commit waits for them
  bool committed = false;
  Status result;            // the commit's, once committed
};

GroupCommitter::GroupCommitter(ChunkStore& store, std::size_t max_group_chunks)
    : store_(store), max_group_(std::max<std::size_t>(max_group_chunks, 1)) {}

Status GroupCommitter::put(const ChunkId& id, ByteView sealed) { return join(id, sealed, false); }

Status GroupCommitter::put_verified(const ChunkId& id, ByteView sealed) { return join(id, sealed, true); }

Status GroupCommitter::join(const ChunkId& id, ByteView sealed, bool verified) {
  std::unique_lock lock(mu_);
  if (!open_) open_ = std::make_shared<Group>(store_.begin_batch());
  // Shared: the group outlives open_ (which moves on) until its last member returns.
  std::shared_ptr<Group> group = open_;
  ++group->writing;
  if (++group->joined >= max_group_) open_.reset();
  lock.unlock();

  // The write (and the hash, unless verified) runs in parallel with the
  // other members' and with the commit of the group before.
  Status staged = verified ? group->batch->put_verified(id, sealed) : group->batch->put(id, sealed);

  lock.lock();
  --group->writing;
  cv_.notify_all();  // a leader may be waiting for the writers
  // A put refused on its own (corrupt, no space) left nothing in the batch.
  if (!staged.ok()) return staged;
  while (!group->committed) {
    if (!leading_) {
      lead(lock, *group);
    } else {
      cv_.wait(lock);
    }
  }
  return group->result;
}

void GroupCommitter::lead(std::unique_lock<std::mutex>& lock, Group& group) {
  leading_ = true;
  if (open_.get() == &group) open_.reset();  // newcomers form the next group
  cv_.wait(lock, [&group] { return group.writing == 0; });
  lock.unlock();
  Status result = group.batch->commit();
  lock.lock();
  group.result = std::move(result);
  group.committed = true;
  leading_ = false;
  cv_.notify_all();  // the members, and the next group's would-be leader
}

}  // namespace dfs::store
