// Byte buffers and a bounds-checked reader/writer for binary formats.
//
// Every decoder of data from disk or the network reads through ByteReader,
// which never reads past its input and reports truncation as an Error, so a
// format's decoder only has to state what it expects.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dfs/util/result.hpp"

namespace dfs {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;
using MutableByteView = std::span<std::uint8_t>;

inline ByteView as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Appends little-endian integers and raw bytes to a buffer.
class ByteWriter {
 public:
  explicit ByteWriter(Bytes& out) : out_(out) {}
  void u8(std::uint8_t v) { out_.push_back(v); }
  void u32(std::uint32_t v);
  void u64(std::uint64_t v);
  void bytes(ByteView v) { out_.insert(out_.end(), v.begin(), v.end()); }

 private:
  Bytes& out_;
};

// Reads little-endian integers and raw bytes from a view; each call fails
// with Errc::truncated (naming `what`) instead of reading past the end.
class ByteReader {
 public:
  explicit ByteReader(ByteView in) : in_(in) {}
  Result<std::uint8_t> u8(const char* what);
  Result<std::uint32_t> u32(const char* what);
  Result<std::uint64_t> u64(const char* what);
  Result<ByteView> bytes(std::size_t n, const char* what);
  template <std::size_t N>
  Result<std::array<std::uint8_t, N>> array(const char* what) {
    auto view = bytes(N, what);
    if (!view.ok()) return view.take_error();
    std::array<std::uint8_t, N> out{};
    std::copy(view->begin(), view->end(), out.begin());
    return out;
  }
  std::size_t remaining() const { return in_.size() - pos_; }
  // Fails with Errc::corrupt if unread bytes are left (no trailing garbage).
  Status expect_end(const char* what) const;

 private:
  ByteView in_;
  std::size_t pos_ = 0;
};

}  // namespace dfs
