#include "dfs/util/huge_page_pool.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cassert>

namespace dfs {

namespace {

std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

}  // namespace

HugePagePool::HugePagePool(std::size_t slot_bytes, std::size_t keep_free_bytes)
    : slot_bytes_(slot_bytes),
      slab_bytes_(round_up(slot_bytes, kHugePage)),
      slots_per_slab_(slab_bytes_ / slot_bytes),
      keep_free_bytes_(keep_free_bytes) {
  assert(slot_bytes > 0);
}

HugePagePool::~HugePagePool() {
  std::lock_guard lock(mu_);
  assert(free_.size() == free_in_slab_.size() * slots_per_slab_ && "a slot outlives its pool");
  for (const auto& [slab, free] : free_in_slab_) ::munmap(slab, slab_bytes_);
}

// A slab starts on a 2 MiB boundary and holds its slots from there: one
// slot of 2 MiB or more, or several smaller ones within its 2 MiB.
std::uint8_t* HugePagePool::slab_of(std::uint8_t* slot) const {
  return reinterpret_cast<std::uint8_t*>(reinterpret_cast<std::uintptr_t>(slot) & ~(kHugePage - 1));
}

bool HugePagePool::map_slab() {
  // mmap aligns to 4 KiB only: map a huge page more and cut the ends.
  const std::size_t span = slab_bytes_ + kHugePage;
  void* mapped = ::mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped == MAP_FAILED) return false;
  auto* start = static_cast<std::uint8_t*>(mapped);
  auto* slab = reinterpret_cast<std::uint8_t*>(round_up(reinterpret_cast<std::uintptr_t>(start), kHugePage));
  if (slab > start) ::munmap(start, static_cast<std::size_t>(slab - start));
  if (std::uint8_t* end = slab + slab_bytes_; end < start + span) ::munmap(end, static_cast<std::size_t>(start + span - end));
  // A hint: without transparent huge pages the slab is 4 KiB pages.
  (void)::madvise(slab, slab_bytes_, MADV_HUGEPAGE);
  for (std::size_t i = 0; i < slots_per_slab_; ++i) free_.push_back(slab + i * slot_bytes_);
  free_in_slab_.emplace(slab, slots_per_slab_);
  return true;
}

void HugePagePool::unmap_slab(std::uint8_t* slab) {
  std::erase_if(free_, [&](std::uint8_t* slot) { return slab_of(slot) == slab; });
  free_in_slab_.erase(slab);
  ::munmap(slab, slab_bytes_);
}

std::uint8_t* HugePagePool::acquire() {
  std::lock_guard lock(mu_);
  if (free_.empty() && !map_slab()) return nullptr;
  std::uint8_t* slot = free_.back();
  free_.pop_back();
  --free_in_slab_.at(slab_of(slot));
  return slot;
}

void HugePagePool::release(std::uint8_t* slot) {
  std::lock_guard lock(mu_);
  free_.push_back(slot);
  std::uint8_t* slab = slab_of(slot);
  const std::size_t free_here = ++free_in_slab_.at(slab);
  if (free_here == slots_per_slab_ && free_.size() * slot_bytes_ > keep_free_bytes_) unmap_slab(slab);
}

std::size_t HugePagePool::mapped_bytes() const {
  std::lock_guard lock(mu_);
  return free_in_slab_.size() * slab_bytes_;
}

}  // namespace dfs
