// Shared pieces of the libFuzzer harnesses (DESIGN.md §2: "all decoders are
// bounded and fuzzed").
//
// A harness turns a broken property into a crash, because a crash is the
// only thing libFuzzer reports: FUZZ_CHECK aborts with a message naming the
// property, and the sanitizers report memory and UB errors the same way.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "dfs/crypto/crypto.hpp"
#include "dfs/util/bytes.hpp"

namespace dfs::fuzz {

// A fixed key, so that the seed corpus can hold chunks that really open and
// the fuzzer starts from the success paths rather than only tag failures.
inline crypto::SecretKey fixed_key() {
  std::array<std::uint8_t, crypto::kKeySize> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(0xa0 + i);
  return crypto::SecretKey::from_bytes(bytes);
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

inline std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

[[noreturn]] inline void fail(const char* file, int line, const char* property) {
  std::fprintf(stderr, "%s:%d: fuzz property violated: %s\n", file, line, property);
  std::abort();
}

}  // namespace dfs::fuzz

// Checked in every build type (unlike assert, which NDEBUG removes).
#define FUZZ_CHECK(cond) \
  do {                                                       \
    if (!(cond)) ::dfs::fuzz::fail(__FILE__, __LINE__, #cond); \
  } while (0)
