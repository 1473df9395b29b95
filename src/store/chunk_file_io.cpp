#include "chunk_file_io.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "dfs/util/file.hpp"
#include "dfs/util/huge_page_pool.hpp"

namespace dfs::store {

Error chunk_not_found(const ChunkId& id) { return make_error(Errc::not_found, "chunk " + id.short_hex() + " not found"); }

Error chunk_corrupt(const ChunkId& id, const std::string& why) {
  return make_error(Errc::corrupt, "chunk " + id.short_hex() + " " + why + "; moved to quarantine");
}

Result<bool> exists(const std::string& path) {
  struct stat st{};
  if (::lstat(path.c_str(), &st) == 0) return true;
  if (errno == ENOENT) return false;
  return errno_error("cannot stat " + path);
}

// Chunk files are written around the page cache (O_DIRECT) where the
// filesystem allows it. Why: on the machines we measured, copying a chunk
// into fresh page-cache pages cost more CPU than sealing it (a buffered
// 1 GiB write spent 1.0-1.3 s in the kernel, a direct one 0.2 s), and a
// chunk just written is rarely read back soon: its writer still has it.
// O_DIRECT wants buffer, offset and length aligned, so the aligned head of
// the file goes direct from an aligned copy and the tail (a sealed chunk is
// 29 bytes past a power of two) goes through the cache.

thread_local AlignedScratch write_scratch(/*huge_pages=*/false);
thread_local AlignedScratch read_scratch(/*huge_pages=*/true);

std::uint8_t* AlignedScratch::get(std::size_t size) {
  if (capacity_ < size) {
    // A chunk's buffer in huge pages: direct I/O pins every page of it
    // (util/huge_page_pool.hpp says what that costs in 4 KiB pages).
    constexpr std::size_t kHuge = HugePagePool::kHugePage;
    const bool huge = huge_pages_ && size >= kHuge / 2;
    const std::size_t capacity = huge ? (size + kHuge - 1) / kHuge * kHuge : size;
    void* fresh = nullptr;
    if (::posix_memalign(&fresh, huge ? kHuge : kDirectAlign, capacity) != 0) return nullptr;
    if (huge) (void)::madvise(fresh, capacity, MADV_HUGEPAGE);  // a hint
    buffer_.reset(static_cast<std::uint8_t*>(fresh));
    capacity_ = capacity;
  }
  return buffer_.get();
}

namespace {

bool set_direct(int fd, bool on) {
  const int flags = ::fcntl(fd, F_GETFL);
  return flags >= 0 && ::fcntl(fd, F_SETFL, on ? (flags | O_DIRECT) : (flags & ~O_DIRECT)) == 0;
}

// Writes the aligned head of `data` to the empty file `fd` with O_DIRECT.
// Returns how many bytes it wrote: 0 when the filesystem or memory does
// not allow it (the caller then writes everything through the cache).
Result<std::size_t> write_direct_head(int fd, ByteView data, const std::string& path) {
  const std::size_t head = data.size() >= kDirectMinSize ? data.size() / kDirectAlign * kDirectAlign : 0;
  if (head == 0) return std::size_t{0};
  std::uint8_t* aligned = write_scratch.get(head);
  if (aligned == nullptr || !set_direct(fd, true)) return std::size_t{0};
  std::memcpy(aligned, data.data(), head);
  Status written = write_full(fd, ByteView(aligned, head), path);
  const bool restored = set_direct(fd, false);
  if (!written.ok()) {
    // Some filesystems take the flag but refuse the write: fall back.
    if (written.error().code == Errc::invalid_argument) return std::size_t{0};
    return written.take_error();
  }
  if (!restored) return errno_error("cannot leave direct I/O on " + path);
  return head;
}

}  // namespace

// Reads the head of the file `fd` (of `size` bytes) into the aligned
// `data` (room for `capacity`, a multiple of kDirectAlign) with O_DIRECT,
// in aligned pieces, as far as they go: the last one ends at the end of
// the file, which need not be aligned (the kernel stops there). Returns
// how many bytes it read: 0 when the filesystem refuses direct reads (the
// caller then reads through the cache).
Result<std::size_t> read_direct_head(int fd, std::uint8_t* data, std::size_t capacity, std::size_t size,
                                     const std::string& path) {
  if (!set_direct(fd, true)) return std::size_t{0};
  std::size_t got = 0;
  Status failed;
  while (got < size && got % kDirectAlign == 0) {
    const ssize_t n = ::pread(fd, data + got, capacity - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EINVAL) failed = errno_error("cannot read " + path);
    if (n <= 0) break;  // EINVAL: no direct reads here after all; 0: the file shrank
    got += static_cast<std::size_t>(n);
  }
  const bool restored = set_direct(fd, false);
  DFS_TRY(std::move(failed));
  if (!restored) return errno_error("cannot leave direct I/O on " + path);
  return std::min(got, size);
}

// Creates `path` with `data`, fsynced if `durable`. close() is checked too,
// because some filesystems report write errors only there.
Status write_new_file(const std::string& path, ByteView data, bool durable) {
  DFS_ASSIGN_OR_RETURN(UniqueFd fd, open_file(path, O_WRONLY | O_CREAT | O_EXCL, 0600));
  DFS_ASSIGN_OR_RETURN(const std::size_t direct, write_direct_head(fd.get(), data, path));
  if (direct > 0 && ::lseek(fd.get(), static_cast<off_t>(direct), SEEK_SET) < 0) {
    return errno_error("cannot seek in " + path);
  }
  DFS_TRY(write_full(fd.get(), data.subspan(direct), path));
  if (durable) {
    DFS_TRY(fsync_fd(fd.get(), path));
  } else if (direct == 0 && data.size() >= kDirectMinSize) {
    // A large chunk that went through the cache: start writing it out now,
    // without waiting, so a later sync waits only for the tail. A hint; its
    // failure changes nothing (the sync reports real errors). Not for small
    // chunks: one I/O each costs more than the flush that groups them.
    (void)::sync_file_range(fd.get(), 0, 0, SYNC_FILE_RANGE_WRITE);
  }
  if (::close(fd.release()) != 0) return errno_error("cannot close " + path);
  return {};
}

}  // namespace dfs::store
