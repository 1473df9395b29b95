// GroupCommitter: durable puts from many threads at once, made durable
// together (group commit). For a peer receiving chunks from the network:
// each PUT_CHUNK must be durable before it is acknowledged, and syncing
// every chunk alone costs two journal commits per chunk (a temp file fsync
// and a directory fsync), which caps a receiver far below its disk.
//
// How: every put writes its chunk into the open group's PutBatch
// (unsynced) and waits. One waiting thread at a time is the leader: it
// closes its group to newcomers, waits for the members still writing, and
// commits the batch (ChunkStore::begin_batch: one sync for the whole
// group); then every member returns the commit's status. Puts that arrive
// while a commit runs form the next group, so the group grows with the
// load and a lone put waits for nothing but its own commit: no timer.
//
// Guarantees: put() returns ok only once its chunk is durable (as a lone
// ChunkStore::put would make it); a failed commit fails every put of its
// group; a put that fails on its own (corrupt, no space) fails alone.
// Groups commit one at a time. A put of several chunks (a batch from one
// peer) joins one group with all of them, which may then exceed the
// group's size.
//
// Thread-safe; put() blocks, so call it from threads that may wait (a pool
// sized for the puts in flight, not the network thread).
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "dfs/store/chunk_store.hpp"

namespace dfs::store {

// Chunks one group commits at most: bounds the work (and the wait) of one
// commit when puts arrive faster than the disk syncs.
inline constexpr std::size_t kDefaultMaxGroupChunks = 64;

class GroupCommitter {
 public:
  // `store` must outlive the committer.
  explicit GroupCommitter(ChunkStore& store, std::size_t max_group_chunks = kDefaultMaxGroupChunks);
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // ChunkStore::put's contract: checks the hash, stores, returns once durable.
  Status put(const ChunkId& id, ByteView sealed);
  // The same for bytes the caller already hashed against `id`
  // (PutBatch::put_verified).
  Status put_verified(const ChunkId& id, ByteView sealed);

  // put_verified of several chunks at once (a PUT_CHUNKS batch), all in
  // one group: one status per chunk, in order, once all of them are
  // durable or failed. A chunk refused on its own fails alone.
  struct Item {
    ChunkId id;
    ByteView sealed;
  };
  std::vector<Status> put_verified(std::span<const Item> items);

 private:
  struct Group;
  std::vector<Status> join(std::span<const Item> items, bool verified);
  // Commits `group` (closed first); called with `lock` held, returns with it.
  void lead(std::unique_lock<std::mutex>& lock, Group& group);

  ChunkStore& store_;
  const std::size_t max_group_;
  std::mutex mu_;  // guards open_, leading_, waiting_ and every Group's counters and result
  std::shared_ptr<Group> open_;  // the group new puts join; null: the next put opens one
  bool leading_ = false;         // a leader is committing (one at a time, in order)
  // The groups with members blocked waiting (each kept alive by them), in
  // the order they began waiting: a leader done wakes one of the first
  // other group, so a group whose members all wait gets a leader.
  std::vector<Group*> waiting_;
};

}  // namespace dfs::store
