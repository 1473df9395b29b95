// InFlightChunks: the chunks whose put is in progress and not yet recorded
// where GC looks (the index's chunk references or leases), so that GC never
// deletes one of them (DESIGN.md §4 "Leases and GC").
//
// The race it closes: a commit stores its chunks first and records them in
// the index afterwards (chunks durable before anything names them). A GC
// that read the index between the two would see the new chunks as garbage.
// Worse, a put of a chunk that is already stored does not write it again,
// so a GC deleting that older copy after the put returned would leave the
// index naming a chunk that is gone.
//
// The protocol, which makes both impossible:
//  - a writer adds each chunk to a Hold *before* putting it, and keeps the
//    Hold until the index records the chunk (the commit's transaction, or
//    the lease flush for a chunk received from a peer);
//  - GC takes Exclusive, drops every held candidate, reads the index and
//    deletes, all before releasing Exclusive. Hold::add blocks meanwhile.
// So for any chunk GC deletes, every writer of it either finished before
// Exclusive (its index record is in the snapshot GC read, so GC keeps the
// chunk) or adds it after Exclusive ends, and then its put finds the chunk
// absent and stores it anew.
//
// Thread-safe. One mutex guards counts_ and every Hold's list; it is a leaf
// lock for writers (never held while they wait on anything), and GC holds
// it across its index read and unlinks: lock order InFlightChunks -> the
// index's lock -> the store's ID locks.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "dfs/store/chunk_store.hpp"

namespace dfs::store {

class InFlightChunks {
 public:
  // The chunks one writer holds; released when destroyed (or release()).
  class Hold {
   public:
    Hold() = default;  // holds nothing and adds nowhere
    Hold(Hold&& other) noexcept;
    Hold& operator=(Hold&& other) noexcept;
    ~Hold() { release(); }

    // Holds `id` until release. Call before putting it. May be called from
    // several threads at once (the workers of one commit).
    void add(const ChunkId& id);
    void release();

   private:
    friend class InFlightChunks;
    explicit Hold(InFlightChunks* set) : set_(set) {}
    InFlightChunks* set_ = nullptr;
    std::vector<ChunkId> ids_;  // guarded by set_->mu_
  };

  // Keeps writers out while GC decides and deletes.
  class Exclusive {
   public:
    bool held(const ChunkId& id) const { return set_->counts_.count(id) != 0; }

   private:
    friend class InFlightChunks;
    explicit Exclusive(const InFlightChunks& set) : set_(&set), lock_(set.mu_) {}
    const InFlightChunks* set_;
    std::unique_lock<std::mutex> lock_;
  };

  Hold hold() { return Hold(this); }
  Exclusive exclude_writers() const { return Exclusive(*this); }
  std::size_t size() const;

  // A batch that adds each chunk to `hold` before putting it into `inner`.
  static std::unique_ptr<PutBatch> tracked(std::unique_ptr<PutBatch> inner, Hold& hold);

 private:
  mutable std::mutex mu_;
  std::unordered_map<ChunkId, std::size_t> counts_;  // guarded by mu_
};

}  // namespace dfs::store
