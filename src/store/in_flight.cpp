#include "dfs/store/in_flight.hpp"

#include <utility>

namespace dfs::store {

InFlightChunks::Hold::Hold(Hold&& other) noexcept
    : set_(std::exchange(other.set_, nullptr)), ids_(std::move(other.ids_)) {}

InFlightChunks::Hold& InFlightChunks::Hold::operator=(Hold&& other) noexcept {
  if (this != &other) {
    release();
    set_ = std::exchange(other.set_, nullptr);
    ids_ = std::move(other.ids_);
  }
  return *this;
}

void InFlightChunks::Hold::add(const ChunkId& id) {
  if (set_ == nullptr) return;
  std::lock_guard lock(set_->mu_);
  ++set_->counts_[id];
  ids_.push_back(id);
}

void InFlightChunks::Hold::release() {
  if (set_ == nullptr) return;
  std::lock_guard lock(set_->mu_);
  for (const ChunkId& id : ids_) {
    auto it = set_->counts_.find(id);
    if (--it->second == 0) set_->counts_.erase(it);
  }
  ids_.clear();
}

std::size_t InFlightChunks::size() const {
  std::lock_guard lock(mu_);
  return counts_.size();
}

namespace {

class TrackedBatch final : public PutBatch {
 public:
  TrackedBatch(std::unique_ptr<PutBatch> inner, InFlightChunks::Hold& hold) : inner_(std::move(inner)), hold_(hold) {}
  Status put(const ChunkId& id, ByteView sealed) override {
    hold_.add(id);
    return inner_->put(id, sealed);
  }
  Status put_verified(const ChunkId& id, ByteView sealed) override {
    hold_.add(id);
    return inner_->put_verified(id, sealed);
  }
  Status commit() override { return inner_->commit(); }
  Status commit_unsynced() override { return inner_->commit_unsynced(); }

 private:
  std::unique_ptr<PutBatch> inner_;
  InFlightChunks::Hold& hold_;
};

}  // namespace

std::unique_ptr<PutBatch> InFlightChunks::tracked(std::unique_ptr<PutBatch> inner, Hold& hold) {
  return std::make_unique<TrackedBatch>(std::move(inner), hold);
}

}  // namespace dfs::store
