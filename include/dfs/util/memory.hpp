// How the process's allocator treats large buffers (a daemon's setting,
// made once at start-up, before its threads run).
#pragma once

#include <cstddef>

#include "dfs/util/result.hpp"

namespace dfs {

// A peer allocates and frees a chunk-sized buffer (1 MiB by default) for
// every chunk it receives, serves, seals or decrypts, on many threads.
// glibc's defaults map such a block afresh, or give the freed top of a
// heap back to the kernel as soon as twice the last large block is free,
// so each new chunk's pages were faulted in and zeroed by the kernel again
// (about 90 faults per MiB at a peer fetching a file, 3 times fewer with
// this). Asks glibc to serve blocks of up to `largest_buffer` bytes from
// its heaps and to keep up to `keep_free` bytes free at a heap's top for
// the next ones: the price is that much more resident memory at most per
// malloc arena (glibc makes up to 8 per core, one per thread that needs
// one; a peer under load measured 20-35 MiB more in all). Fails
// (invalid_argument) if glibc refuses either value.
Status keep_large_buffers_mapped(std::size_t largest_buffer, std::size_t keep_free);

}  // namespace dfs
