// The input format of fuzz_manifest_chain, shared with the seed generator
// so that the two cannot drift apart.
//
// A chain links segments by the SHA-256 of their sealed bytes, which a
// fuzzer cannot forge. So the input holds segment plaintexts and small
// instructions, and the harness seals them and fills in the real IDs:
//
//     segment (kSeparator segment)*
//     segment = flags u8 | plaintext
//
//     flags bits 0-1: how the segment is stored (StoreMode)
//     flags bit 2   : link: overwrite the plaintext's last 32 bytes (where
//                     an encoded segment keeps its next ID) with the ID of
//                     segment i + 1 + (flags >> 3), if that one exists
//
// Links only point forwards, as in a real chain; a cycle would need a
// SHA-256 fixed point. Segment 0 is the head named by the File ID.
#pragma once

#include <cstring>
#include <string_view>
#include <vector>

#include "dfs/util/bytes.hpp"

namespace dfs::fuzz {

inline constexpr std::string_view kSeparator = "SEG!";
inline constexpr std::uint8_t kLinkFlag = 4;

enum class StoreMode : std::uint8_t {
  sealed = 0,       // sealed as a manifest under the key: the normal case
  wrong_kind = 1,   // sealed as a data chunk: must fail authentication
  unsealed = 2,     // the plaintext stored as if it were sealed bytes
  missing = 3,      // sealed, but the fetcher does not have it
};

struct ChainSegment {
  std::uint8_t flags = 0;
  Bytes plaintext;

  StoreMode mode() const { return static_cast<StoreMode>(flags & 3); }
  bool links() const { return (flags & kLinkFlag) != 0; }
  std::size_t link_distance() const { return 1 + (flags >> 3); }
};

inline std::vector<ChainSegment> split_chain_input(ByteView input) {
  std::vector<ChainSegment> out;
  const auto* sep = reinterpret_cast<const std::uint8_t*>(kSeparator.data());
  while (true) {
    // memmem rather than std::search: libFuzzer hooks memmem and learns the
    // separator from it.
    const void* hit = memmem(input.data(), input.size(), sep, kSeparator.size());
    const std::size_t len = hit ? static_cast<std::size_t>(static_cast<const std::uint8_t*>(hit) - input.data())
                                : input.size();
    if (len > 0) {
      ChainSegment seg;
      seg.flags = input[0];
      seg.plaintext.assign(input.begin() + 1, input.begin() + static_cast<std::ptrdiff_t>(len));
      out.push_back(std::move(seg));
    }
    if (!hit) break;
    input = input.subspan(len + kSeparator.size());
  }
  return out;
}

inline Bytes join_chain_input(const std::vector<ChainSegment>& segments) {
  Bytes out;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out.insert(out.end(), kSeparator.begin(), kSeparator.end());
    out.push_back(segments[i].flags);
    out.insert(out.end(), segments[i].plaintext.begin(), segments[i].plaintext.end());
  }
  return out;
}

}  // namespace dfs::fuzz
