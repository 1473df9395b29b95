// DiskChunkStore's read path: every get verifies the bytes against the ID
// (a get for a peer, and bytes lent to a reader that authenticates them,
// may skip that while the file is unchanged since it was checked), and
// what fails the check goes to quarantine.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "chunk_file_io.hpp"
#include "dfs/store/disk_chunk_store.hpp"
#include "dfs/util/file.hpp"
#include "dfs/util/log.hpp"

namespace dfs::store {

Result<Bytes> DiskChunkStore::get(const ChunkId& id) { return read_into_bytes(id, /*trust_unchanged=*/false); }

// Why a chunk served to a peer need not always be hashed again: a file's
// bytes change only through a write, and every write sets the file's
// ctime (and mtime) to the current time, which no call can set back. So
// while the file's device, inode, size, mtime and ctime are the ones seen
// when this store last hashed it (or wrote it from bytes it had checked),
// it holds those bytes: a chunk modified on disk since — by a stray
// process, or a test — is hashed, found corrupt and quarantined, never
// served. What a stamp cannot show is the medium failing under an
// unchanged inode; that costs no correctness either: the reader verifies
// every chunk (DESIGN.md §2) and asks the next replica, and every local
// get() and repair read still hashes and quarantines. One limit: where
// timestamps are coarse, a write within the same clock tick as our stat
// keeps the ctime; Linux 6.13+ gives a file whose ctime was read a finer
// one on its next change (multigrain timestamps, ext4/xfs/btrfs/tmpfs).
//
// The file is read around the page cache into this thread's scratch and
// copied once into the answer: a buffered read into the answer spent more
// CPU in the page cache (read-ahead pages allocated, inserted, copied out;
// 8% of a remote get's CPU over all peers) than the copy costs, and a
// chunk a holder stores for others is rarely read twice soon enough to
// gain from the cache (its put wrote it around the cache too).
Result<Bytes> DiskChunkStore::get_for_peer(const ChunkId& id) {
  Bytes fallback;
  DFS_ASSIGN_OR_RETURN(ByteView sealed, read_into_scratch(id, fallback, /*trust_unchanged=*/true));
  if (sealed.data() == fallback.data()) {
    fallback.resize(sealed.size());
    return fallback;
  }
  return Bytes(sealed.begin(), sealed.end());
}

Result<Bytes> DiskChunkStore::read_into_bytes(const ChunkId& id, bool trust_unchanged) {
  // One allocation of the final size and one read into it: the returned
  // buffer is the one the kernel filled, no further copy.
  Bytes bytes;
  auto into_bytes = [&bytes](std::size_t size) {
    bytes.resize(size);
    return ReadBuffer{bytes.data(), size, false};
  };
  DFS_ASSIGN_OR_RETURN(ByteView read, read_checked(id, into_bytes, trust_unchanged));
  bytes.resize(read.size());
  return bytes;
}

// Why around the page cache: the kernel's copy of a chunk out of the page
// cache cost as much CPU as its decryption (perf of a 1 GiB cold read
// through the mount), and the page cache would hold a third copy of data
// the filesystem keeps decrypted in its own LRU and the kernel keeps in the
// mount's page cache. Small chunks go through the cache: the copy is cheap
// and the direct read's alignment padding is not.
//
// Not hashed again while unchanged (see get_for_peer): the reader opens the
// bytes with AES-GCM, whose tag fails on any change a hash would catch,
// and a chain checks a copy that fails with get() (chunk_source.hpp).
Status DiskChunkStore::with_sealed(const ChunkId& id, const SealedUse& use) {
  Bytes fallback;
  DFS_ASSIGN_OR_RETURN(ByteView sealed, read_into_scratch(id, fallback, /*trust_unchanged=*/true));
  return use(sealed);
}

Status DiskChunkStore::trust_as_is_for_testing(const ChunkId& id) {
  const std::string path = chunk_path(id);
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return errno_error("cannot stat " + path);
  verified_.remember(id, FileStamp::of(st));
  return {};
}

Result<ByteView> DiskChunkStore::read_into_scratch(const ChunkId& id, Bytes& fallback, bool trust_unchanged) {
  auto into_scratch = [&fallback](std::size_t size) {
    const std::size_t rounded = round_up_to_direct(size);
    if (std::uint8_t* scratch = read_scratch.get(rounded)) return ReadBuffer{scratch, rounded, size >= kDirectMinSize};
    fallback.resize(size);
    return ReadBuffer{fallback.data(), size, false};
  };
  return read_checked(id, into_scratch, trust_unchanged);
}

Result<ByteView> DiskChunkStore::read_checked(const ChunkId& id, const std::function<ReadBuffer(std::size_t)>& buffer_for,
                                               bool trust_unchanged) {
  auto packed = read_packed(id, buffer_for);
  if (packed.ok() || packed.error().code != Errc::not_found) return packed;
  const std::string path = chunk_path(id);
  auto fd = open_file(path, O_RDONLY | O_NOFOLLOW);
  if (!fd.ok()) {
    if (fd.error().code == Errc::not_found) return chunk_not_found(id);
    return fd.take_error();
  }
  struct stat st{};
  if (::fstat(fd->get(), &st) != 0) return errno_error("cannot stat " + path);
  const FileKey key{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)};
  // Never trust the size on disk: a huge file cannot be a chunk we wrote,
  // and reading it would let one bad file exhaust memory.
  if (!S_ISREG(st.st_mode) || static_cast<std::uint64_t>(st.st_size) > kMaxSealedChunkSize) {
    const std::string why = "is not a regular file of at most " + std::to_string(kMaxSealedChunkSize) + " bytes";
    quarantine(id, key, why);
    return chunk_corrupt(id, why);
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  const ReadBuffer buffer = buffer_for(size);
  std::size_t got = 0;
  if (buffer.direct) {
    DFS_ASSIGN_OR_RETURN(got, read_direct_head(fd->get(), buffer.data, buffer.capacity, size, path));
  }
  if (got < size) {
    DFS_ASSIGN_OR_RETURN(std::size_t rest, pread_full(fd->get(), MutableByteView(buffer.data + got, size - got), got, path));
    got += rest;
  }
  const ByteView bytes(buffer.data, got);  // a file that shrank under us fails the check below
  // Stamped before the read: a write during it changes the file's ctime,
  // so the next serve hashes again.
  const FileStamp stamp = FileStamp::of(st);
  if (trust_unchanged && verified_.unchanged_since_verified(id, stamp)) return bytes;
  if (ChunkId::of(bytes) != id) {
    quarantine(id, key, "does not match its ID");
    return chunk_corrupt(id, "does not match its ID");
  }
  verified_.remember(id, stamp);
  return bytes;
}

// Packed chunks are small: always hashed, never read around the cache.
Result<ByteView> DiskChunkStore::read_packed(const ChunkId& id,
                                             const std::function<ReadBuffer(std::size_t)>& buffer_for) {
  ReadBuffer buffer;
  DFS_ASSIGN_OR_RETURN(std::size_t got, pack_->read(id, [&](std::size_t size) {
    buffer = buffer_for(size);
    return buffer.data;
  }));
  const ByteView bytes(buffer.data, got);
  if (ChunkId::of(bytes) != id) {
    quarantine_packed(id, bytes, "does not match its ID");
    return chunk_corrupt(id, "does not match its ID");
  }
  return bytes;
}

void DiskChunkStore::quarantine_packed(const ChunkId& id, ByteView bytes, const std::string& why) {
  const std::string dest = quarantine_dir() + "/" + id.hex() + "." + unique_suffix();
  auto removed = pack_->remove(id);
  if (!removed.ok()) return;  // a concurrent get or remove was first
  usage_.remove_stored(*removed);
  Status kept = write_new_file(dest, bytes, /*durable=*/false);
  log::warn("chunk store: packed chunk " + id.hex() + " " + why +
            (kept.ok() ? "; a copy is in " + dest : "; removed it (no copy kept: " + kept.error().to_string() + ")"));
}

void DiskChunkStore::quarantine(const ChunkId& id, FileKey seen, const std::string& why) {
  const std::string path = chunk_path(id);
  const std::string dest = quarantine_dir() + "/" + id.hex() + "." + unique_suffix();
  std::lock_guard lock(lock_for(id));
  struct stat st{};
  // Only move the file we read: if it is gone or was replaced, a concurrent
  // get already quarantined it or a remove + put replaced it.
  if (::lstat(path.c_str(), &st) != 0 || static_cast<std::uint64_t>(st.st_dev) != seen.dev ||
      static_cast<std::uint64_t>(st.st_ino) != seen.ino) {
    return;
  }
  verified_.forget(id);
  const std::string what = "chunk store: chunk " + id.hex() + " " + why;
  if (::rename(path.c_str(), dest.c_str()) == 0) {
    log::warn(what + "; moved to " + dest);
  } else if (const int err = errno; ::unlink(path.c_str()) == 0) {
    log::warn(what + "; could not move it to quarantine (" + std::strerror(err) + "), deleted it");
  } else {
    // Still in place and still counted; get keeps refusing to serve it.
    log::error(what + "; could not move or delete it: " + std::strerror(errno));
    return;
  }
  if (S_ISREG(st.st_mode)) usage_.remove_stored(static_cast<std::uint64_t>(st.st_size));
}

}  // namespace dfs::store
