// The file I/O of DiskChunkStore's chunk files, shared by its write path
// (disk_chunk_store.cpp) and its read path (disk_chunk_store_read.cpp);
// private to store/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "dfs/chunk/chunk_id.hpp"
#include "dfs/util/bytes.hpp"
#include "dfs/util/result.hpp"

namespace dfs::store {

Error chunk_not_found(const ChunkId& id);
Error chunk_corrupt(const ChunkId& id, const std::string& why);

// Whether anything exists at `path` (a chunk file, normally).
Result<bool> exists(const std::string& path);

// Chunk files are written around the page cache (O_DIRECT) where the
// filesystem allows it: see chunk_file_io.cpp for why.
inline constexpr std::size_t kDirectAlign = 4096;
inline constexpr std::size_t kDirectMinSize = 64 * 1024;  // below it the copy is not worth it

// A kDirectAlign-aligned scratch buffer, grown on demand and reused so
// that its pages are touched once. With `huge_pages`, one of 1 MiB or more
// is whole 2 MiB pages: the reads' (a direct read pins every page of it),
// not the writes' (a peer's receiving threads each hold one, and in 2 MiB
// pages bench/p2p.sh's holders peaked 15-20 MiB higher).
class AlignedScratch {
 public:
  explicit AlignedScratch(bool huge_pages) : huge_pages_(huge_pages) {}
  // At least `size` bytes; nullptr if out of memory.
  std::uint8_t* get(std::size_t size);

 private:
  struct FreeDeleter {
    void operator()(std::uint8_t* p) const { std::free(p); }
  };
  const bool huge_pages_;
  std::unique_ptr<std::uint8_t, FreeDeleter> buffer_;
  std::size_t capacity_ = 0;
};

// One of each per thread: a read's `use` may well write a chunk.
extern thread_local AlignedScratch write_scratch;
extern thread_local AlignedScratch read_scratch;

inline std::size_t round_up_to_direct(std::size_t size) { return (size + kDirectAlign - 1) / kDirectAlign * kDirectAlign; }

// Reads the head of the file `fd` (of `size` bytes) into the aligned
// `data` (room for `capacity`, a multiple of kDirectAlign) with O_DIRECT,
// in aligned pieces, as far as they go. Returns how many bytes it read: 0
// when the filesystem refuses direct reads (the caller then reads through
// the cache).
Result<std::size_t> read_direct_head(int fd, std::uint8_t* data, std::size_t capacity, std::size_t size,
                                     const std::string& path);

// Creates `path` with `data` (its aligned head written with O_DIRECT),
// fsynced if `durable`. close() is checked too, because some filesystems
// report write errors only there.
Status write_new_file(const std::string& path, ByteView data, bool durable);

}  // namespace dfs::store
