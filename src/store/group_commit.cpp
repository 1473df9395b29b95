#include "dfs/store/group_commit.hpp"

#include <algorithm>
#include <condition_variable>

namespace dfs::store {

struct GroupCommitter::Group {
  explicit Group(std::unique_ptr<PutBatch> b) : batch(std::move(b)) {}
  std::unique_ptr<PutBatch> batch;
  std::size_t joined = 0;   // puts that entered the group, to close it when full
  std::size_t writing = 0;  // members still writing into the batch: the commit waits for them
  std::size_t waiting = 0;  // members blocked on `done`
  bool committed = false;
  Status result;            // the commit's, once committed
  // Its members wait here for the commit, or for their turn to lead; its
  // leader waits on `written` for the members still writing. One
  // condition variable per group and per purpose, so that a put wakes
  // only the threads its event concerns: with one for all, every staged
  // chunk and every commit woke every thread of the put pool, and those
  // wake-ups were a peer's largest cost when a tree put sent it thousands
  // of small chunks (perf, bench/tree.sh).
  std::condition_variable done;
  std::condition_variable written;
};

GroupCommitter::GroupCommitter(ChunkStore& store, std::size_t max_group_chunks)
    : store_(store), max_group_(std::max<std::size_t>(max_group_chunks, 1)) {}

Status GroupCommitter::put(const ChunkId& id, ByteView sealed) {
  const Item item{id, sealed};
  return std::move(join({&item, 1}, false).front());
}

Status GroupCommitter::put_verified(const ChunkId& id, ByteView sealed) {
  const Item item{id, sealed};
  return std::move(join({&item, 1}, true).front());
}

std::vector<Status> GroupCommitter::put_verified(std::span<const Item> items) { return join(items, true); }

std::vector<Status> GroupCommitter::join(std::span<const Item> items, bool verified) {
  if (items.empty()) return {};
  std::unique_lock lock(mu_);
  if (!open_) open_ = std::make_shared<Group>(store_.begin_batch());
  // Shared: the group outlives open_ (which moves on) until its last member returns.
  std::shared_ptr<Group> group = open_;
  ++group->writing;
  group->joined += items.size();
  if (group->joined >= max_group_) open_.reset();
  lock.unlock();

  // The writes (and the hashes, unless verified) run in parallel with the
  // other members' and with the commit of the group before.
  std::vector<Status> staged;
  staged.reserve(items.size());
  bool any_staged = false;
  for (const Item& item : items) {
    staged.push_back(verified ? group->batch->put_verified(item.id, item.sealed)
                              : group->batch->put(item.id, item.sealed));
    any_staged = any_staged || staged.back().ok();
  }

  lock.lock();
  if (--group->writing == 0) group->written.notify_one();  // its leader may be waiting for the writers
  // A put refused on its own (corrupt, no space) left nothing in the batch.
  if (!any_staged) return staged;
  while (!group->committed) {
    if (!leading_) {
      lead(lock, *group);
    } else {
      ++group->waiting;
      if (group->waiting == 1) waiting_.push_back(group.get());
      group->done.wait(lock);
      if (--group->waiting == 0) std::erase(waiting_, group.get());
    }
  }
  for (Status& status : staged) {
    if (status.ok()) status = group->result;
  }
  return staged;
}

void GroupCommitter::lead(std::unique_lock<std::mutex>& lock, Group& group) {
  leading_ = true;
  if (open_.get() == &group) open_.reset();  // newcomers form the next group
  group.written.wait(lock, [&group] { return group.writing == 0; });
  lock.unlock();
  Status result = group.batch->commit();
  lock.lock();
  group.result = std::move(result);
  group.committed = true;
  leading_ = false;
  group.done.notify_all();  // its members return
  // One member of the first group still to commit whose members all wait
  // leads next (one still writing may take the lead first; the one woken
  // then waits again). Members of a committed group that have not woken
  // yet are still listed: they need no leader.
  for (Group* other : waiting_) {
    if (!other->committed) {
      other->done.notify_one();
      break;
    }
  }
}

}  // namespace dfs::store
