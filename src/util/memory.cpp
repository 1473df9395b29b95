#include "dfs/util/memory.hpp"

#include <malloc.h>

#include <climits>
#include <string>

namespace dfs {

Status keep_large_buffers_mapped(std::size_t largest_buffer, std::size_t keep_free) {
  if (largest_buffer > INT_MAX || keep_free > INT_MAX) {
    return make_error(Errc::invalid_argument, "allocator thresholds above INT_MAX bytes");
  }
  // Setting either turns off glibc's own moving thresholds, so both are set.
  if (::mallopt(M_MMAP_THRESHOLD, static_cast<int>(largest_buffer)) != 1) {
    return make_error(Errc::invalid_argument,
                      "the allocator refused a mapping threshold of " + std::to_string(largest_buffer) + " bytes");
  }
  if (::mallopt(M_TRIM_THRESHOLD, static_cast<int>(keep_free)) != 1) {
    return make_error(Errc::invalid_argument,
                      "the allocator refused a trim threshold of " + std::to_string(keep_free) + " bytes");
  }
  return {};
}

}  // namespace dfs
