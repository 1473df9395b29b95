// SharedBytes: an immutable byte buffer shared by reference count.
//
// Why: a sealed chunk put with R = 3 goes to three peers, and each transfer
// waits in a queue and then in a connection's write queue; taking the bytes
// by value copied the whole chunk once per peer. With SharedBytes every
// holder refers to one buffer, freed when the last transfer is written.
// The bytes never change once shared, so any thread may read them.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>

#include "dfs/util/bytes.hpp"

namespace dfs {

class SharedBytes {
 public:
  SharedBytes() = default;
  // Takes over `bytes` without copying them (implicit, so that code
  // handing over a Bytes it owns reads as before).
  SharedBytes(Bytes&& bytes) : bytes_(std::make_shared<const Bytes>(std::move(bytes))) {}
  SharedBytes(std::shared_ptr<const Bytes> bytes) : bytes_(std::move(bytes)) {}

  // A copy of `view`, for callers that do not own a buffer to hand over.
  static SharedBytes copy_of(ByteView view) { return SharedBytes(Bytes(view.begin(), view.end())); }

  ByteView view() const { return bytes_ ? ByteView(*bytes_) : ByteView(); }
  std::size_t size() const { return bytes_ ? bytes_->size() : 0; }
  bool empty() const { return size() == 0; }

 private:
  std::shared_ptr<const Bytes> bytes_;
};

}  // namespace dfs
