// HugePagePool: buffers of one size kept in transparent huge pages, for
// the decrypted chunks a reader hands to the kernel.
//
// Why: a FUSE read reply and an O_DIRECT read make the kernel pin every
// page of the user buffer (get_user_pages) and copy through it. With 4 KiB
// pages that is 256 page-table walks and reference counts per 1 MiB chunk,
// and a chunk buffer taken from the heap was often faulted in afresh: in a
// `perf record` of dfsmount reading 1 GiB, the pinning was 9% of its CPU
// and it took 12,000 page faults. From 2 MiB pages the kernel pins a
// chunk in a few steps, and a slot handed out again is already mapped: in
// the same read the pinning fell to 2.6% and the faults to 200.
//
// Slots live in slabs of 2 MiB (or the slot size rounded up to 2 MiB),
// mapped 2 MiB-aligned and marked MADV_HUGEPAGE, so the kernel backs each
// with one huge page where transparent huge pages are enabled (with
// `never`, the same slabs in 4 KiB pages). A released slot is kept for the
// next acquire; slabs whose slots are all free are unmapped once more than
// `keep_free_bytes` are free. Thread-safe. The pool must outlive its slots.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace dfs {

class HugePagePool {
 public:
  static constexpr std::size_t kHugePage = std::size_t{2} << 20;

  // `slot_bytes` > 0.
  HugePagePool(std::size_t slot_bytes, std::size_t keep_free_bytes);
  // Unmaps every slab: every slot must have been released.
  ~HugePagePool();
  HugePagePool(const HugePagePool&) = delete;
  HugePagePool& operator=(const HugePagePool&) = delete;

  std::size_t slot_bytes() const { return slot_bytes_; }
  // A slot of slot_bytes() bytes (contents undefined); nullptr if no memory
  // can be mapped.
  std::uint8_t* acquire();
  // Gives back a slot acquire() returned.
  void release(std::uint8_t* slot);
  // Bytes of slabs mapped now, slots in use and free.
  std::size_t mapped_bytes() const;

 private:
  std::uint8_t* slab_of(std::uint8_t* slot) const;
  bool map_slab();  // adds its slots to free_; mu_ held
  void unmap_slab(std::uint8_t* slab);  // its slots leave free_; mu_ held

  const std::size_t slot_bytes_;
  const std::size_t slab_bytes_;
  const std::size_t slots_per_slab_;
  const std::size_t keep_free_bytes_;

  mutable std::mutex mu_;  // guards free_ and free_in_slab_
  std::vector<std::uint8_t*> free_;
  std::unordered_map<std::uint8_t*, std::size_t> free_in_slab_;  // every mapped slab → its free slots
};

}  // namespace dfs
