#include "dfs/store/disk_chunk_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <functional>
#include <utility>

#include "dir_util.hpp"
#include "dfs/util/log.hpp"

namespace dfs::store {
namespace {

Error not_found(const ChunkId& id) { return make_error(Errc::not_found, "chunk " + id.short_hex() + " not found"); }

Error corrupt(const ChunkId& id, const std::string& why) {
  return make_error(Errc::corrupt, "chunk " + id.short_hex() + " " + why + "; moved to quarantine");
}

// Whether anything exists at `path` (a chunk file, normally).
Result<bool> exists(const std::string& path) {
  struct stat st{};
  if (::lstat(path.c_str(), &st) == 0) return true;
  if (errno == ENOENT) return false;
  return errno_error("cannot stat " + path);
}

// A temp file that is unlinked when it goes out of scope, unless kept: so
// every failed put (ENOSPC, EIO, a lost race) cleans up after itself.
class TempFile {
 public:
  explicit TempFile(std::string path) : path_(std::move(path)) {}
  ~TempFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }
  void keep() { path_.clear(); }

 private:
  std::string path_;
};

// Chunk files are written around the page cache (O_DIRECT) where the
// filesystem allows it. Why: on the machines we measured, copying a chunk
// into fresh page-cache pages cost more CPU than sealing it (a buffered
// 1 GiB write spent 1.0-1.3 s in the kernel, a direct one 0.2 s), and a
// chunk just written is rarely read back soon: its writer still has it.
// O_DIRECT wants buffer, offset and length aligned, so the aligned head of
// the file goes direct from an aligned copy and the tail (a sealed chunk is
// 29 bytes past a power of two) goes through the cache.
constexpr std::size_t kDirectAlign = 4096;
constexpr std::size_t kDirectMinSize = 64 * 1024;  // below it the copy is not worth it

struct FreeDeleter {
  void operator()(std::uint8_t* p) const { std::free(p); }
};

// A kDirectAlign-aligned scratch buffer, grown on demand and reused so
// that its pages are touched once.
class AlignedScratch {
 public:
  // At least `size` bytes; nullptr if out of memory.
  std::uint8_t* get(std::size_t size) {
    if (capacity_ < size) {
      void* fresh = nullptr;
      if (::posix_memalign(&fresh, kDirectAlign, size) != 0) return nullptr;
      buffer_.reset(static_cast<std::uint8_t*>(fresh));
      capacity_ = size;
    }
    return buffer_.get();
  }

 private:
  std::unique_ptr<std::uint8_t, FreeDeleter> buffer_;
  std::size_t capacity_ = 0;
};

// One of each per thread: a read's `use` may well write a chunk.
thread_local AlignedScratch write_scratch;
thread_local AlignedScratch read_scratch;

std::size_t round_up_to_direct(std::size_t size) { return (size + kDirectAlign - 1) / kDirectAlign * kDirectAlign; }

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

// Calls `fn(id, st)` for every chunk file under `chunks_dir`. Anything else
// (stray files, wrongly named or misplaced entries) is skipped and logged at
// `level`: it is not a chunk we could ever look up by its ID.
using ChunkVisitor = std::function<void(const ChunkId&, const struct stat&)>;

Status walk_chunks(const std::string& chunks_dir, log::Level level, const ChunkVisitor& fn) {
  auto skip = [&](const std::string& path) {
    log::write(level, "chunk store: ignoring " + path + ", which is not a chunk");
    return Status{};
  };
  return for_each_entry(chunks_dir, [&](const std::string& fanout, const struct stat& fanout_st) -> Status {
    const std::string fanout_path = chunks_dir + "/" + fanout;
    if (!S_ISDIR(fanout_st.st_mode) || fanout.size() != 2) return skip(fanout_path);
    return for_each_entry(fanout_path, [&](const std::string& name, const struct stat& st) -> Status {
      auto id = ChunkId::from_hex(name);
      // Compare against hex() so that only the exact name we would look up
      // (lowercase, in the right fan-out directory) counts as the chunk.
      if (!S_ISREG(st.st_mode) || !id.ok() || id->hex() != name || name.compare(0, 2, fanout) != 0) {
        return skip(fanout_path + "/" + name);
      }
      fn(*id, st);
      return {};
    });
  });
}

std::string without_trailing_slashes(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

}  // namespace

Result<std::unique_ptr<DiskChunkStore>> DiskChunkStore::open(const std::string& dir, DiskStoreOptions options) {
  const std::string root = without_trailing_slashes(dir);
  DFS_TRY(make_dirs(root, 0700));
  DFS_ASSIGN_OR_RETURN(UniqueFd lock_file, open_file(root + "/LOCK", O_RDWR | O_CREAT, 0600));
  if (::flock(lock_file.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return make_error(Errc::unavailable, "chunk store " + root + " is already open (in this or another process)");
    }
    return errno_error("cannot lock " + root + "/LOCK");
  }
  std::unique_ptr<DiskChunkStore> store(new DiskChunkStore(root, options, std::move(lock_file)));
  DFS_TRY(store->prepare_dirs());
  DFS_ASSIGN_OR_RETURN(store->pack_, ChunkPack::open(root + "/packs", options.durable));
  DFS_TRY(store->clean_tmp());
  DFS_TRY(store->scan_usage());
  const Usage usage = store->usage();
  log::info("chunk store " + root + ": " + std::to_string(usage.chunks) + " chunks, " +
            std::to_string(usage.bytes) + " bytes");
  return store;
}

DiskChunkStore::DiskChunkStore(std::string dir, DiskStoreOptions options, UniqueFd lock_file)
    : dir_(std::move(dir)),
      chunks_dir_(dir_ + "/chunks"),
      options_(options),
      lock_file_(std::move(lock_file)),
      usage_(options.quota_bytes) {}

std::string DiskChunkStore::chunk_path(const ChunkId& id) const {
  const std::string hex = id.hex();
  return chunks_dir_ + "/" + hex.substr(0, 2) + "/" + hex;
}

// All 256 fan-out directories are made up front, so that a put never
// creates one (and pays a sync of chunks/ for it) on the hot path.
Status DiskChunkStore::prepare_dirs() {
  bool any_created = false;
  for (const std::string& path : {chunks_dir_, tmp_dir(), quarantine_dir()}) {
    bool created = false;
    DFS_TRY(make_dir(path, &created));
    any_created = any_created || created;
  }
  if (any_created && options_.durable) DFS_TRY(fsync_dir(dir_));
  bool any_fanout_created = false;
  for (int byte = 0; byte < 256; ++byte) {
    bool created = false;
    DFS_TRY(make_dir(fanout_dir(static_cast<std::uint8_t>(byte)), &created));
    any_fanout_created = any_fanout_created || created;
  }
  if (any_fanout_created && options_.durable) DFS_TRY(fsync_dir(chunks_dir_));
  return {};
}

std::string DiskChunkStore::fanout_dir(std::uint8_t first_byte) const {
  static constexpr char kHex[] = "0123456789abcdef";
  return chunks_dir_ + "/" + kHex[first_byte >> 4] + kHex[first_byte & 0xf];
}

// Everything in tmp/ is a put that never finished (we hold the lock, so no
// other store is writing there): delete it so it neither leaks space nor
// counts in usage.
Status DiskChunkStore::clean_tmp() {
  DFS_ASSIGN_OR_RETURN(std::uint64_t removed, remove_temp_files_older_than(std::chrono::seconds(0)));
  if (removed > 0) {
    log::info("chunk store " + dir_ + ": removed " + std::to_string(removed) + " unfinished writes from tmp/");
  }
  return {};
}

Result<std::uint64_t> DiskChunkStore::remove_temp_files_older_than(std::chrono::seconds age) {
  const auto now = std::chrono::system_clock::now();
  std::uint64_t removed = 0;
  DFS_TRY(for_each_entry(tmp_dir(), [&](const std::string& name, const struct stat& st) -> Status {
    const std::string path = tmp_dir() + "/" + name;
    if (S_ISDIR(st.st_mode)) {
      log::warn("chunk store: leaving directory " + path + " in tmp/ alone");
      return {};
    }
    const auto modified = std::chrono::system_clock::time_point(
        std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec));
    if (age.count() > 0 && now - modified < age) return {};
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return errno_error("cannot remove " + path);
    ++removed;
    return {};
  }));
  return removed;
}

Status DiskChunkStore::scan_usage() {
  for (const ChunkId& id : pack_->list()) usage_.add_stored(pack_->place(id)->size);
  return walk_chunks(chunks_dir_, log::Level::warn, [&](const ChunkId&, const struct stat& st) {
    usage_.add_stored(static_cast<std::uint64_t>(st.st_size));
  });
}

std::string DiskChunkStore::unique_suffix() {
  // The clock keeps quarantine names unique across restarts; the counter
  // keeps names unique within this process.
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count()) + "-" +
         std::to_string(next_name_.fetch_add(1, std::memory_order_relaxed));
}

Status DiskChunkStore::sync_fanout_dir(const ChunkId& id) {
  return fsync_dir(chunks_dir_ + "/" + id.hex().substr(0, 2));
}

Result<std::optional<DiskChunkStore::StagedChunk>> DiskChunkStore::stage(const ChunkId& id, ByteView sealed,
                                                                         bool sync_now, bool trusted) {
  if (trusted) {
    if (sealed.size() > kMaxSealedChunkSize) return make_error(Errc::too_large, "chunk " + id.short_hex() + " too large");
  } else {
    DFS_TRY(check_sealed(id, sealed));
  }
  DFS_ASSIGN_OR_RETURN(bool present, exists(chunk_path(id)));
  if (present) return std::optional<StagedChunk>();
  DFS_ASSIGN_OR_RETURN(UsageCounter::Reservation reservation, usage_.reserve(sealed.size()));
  TempFile temp(tmp_dir() + "/" + id.hex() + "." + unique_suffix());
  DFS_TRY(write_new_file(temp.path(), sealed, sync_now));
  std::string path = temp.path();
  temp.keep();
  return std::optional<StagedChunk>(StagedChunk{id, std::move(path), std::move(reservation)});
}

Status DiskChunkStore::publish_staged(StagedChunk& staged) {
  TempFile temp(staged.temp_path);  // removes the temp file unless moved
  DFS_ASSIGN_OR_RETURN(bool moved, publish(staged.id, temp.path(), staged.reservation));
  if (moved) temp.keep();
  return {};
}

Result<std::optional<DiskChunkStore::PackedChunk>> DiskChunkStore::stage_packed(const ChunkId& id, ByteView sealed,
                                                                                bool trusted) {
  if (!trusted) DFS_TRY(check_sealed(id, sealed));
  DFS_ASSIGN_OR_RETURN(bool present, contains(id));
  if (present) return std::optional<PackedChunk>();
  DFS_ASSIGN_OR_RETURN(UsageCounter::Reservation reservation, usage_.reserve(sealed.size()));
  return std::optional<PackedChunk>(PackedChunk{id, Bytes(sealed.begin(), sealed.end()), std::move(reservation)});
}

Status DiskChunkStore::publish_packed(std::vector<PackedChunk>& chunks, bool sync) {
  if (chunks.empty()) return {};
  std::vector<ChunkPack::Chunk> appended;
  appended.reserve(chunks.size());
  for (const PackedChunk& chunk : chunks) appended.push_back(ChunkPack::Chunk{chunk.id, ByteView(chunk.sealed)});
  // Committed as each becomes visible, so a remove never subtracts a
  // chunk's size before its put added it.
  DFS_TRY(pack_->append(appended, sync, [&](std::size_t i) { chunks[i].reservation.commit(); }));
  chunks.clear();  // the reservations of chunks packed meanwhile by another put are let go
  return {};
}

Status DiskChunkStore::sync_filesystem() {
  if (::syncfs(lock_file_.get()) != 0) return errno_error("cannot sync the filesystem of " + dir_);
  return {};
}

Status DiskChunkStore::sync() { return options_.durable ? sync_filesystem() : Status{}; }

Status DiskChunkStore::put(const ChunkId& id, ByteView sealed) {
  if (packable(sealed.size())) {
    DFS_ASSIGN_OR_RETURN(std::optional<PackedChunk> staged, stage_packed(id, sealed, /*trusted=*/false));
    if (!staged) return {};
    std::vector<PackedChunk> one;
    one.push_back(std::move(*staged));
    return publish_packed(one, options_.durable);
  }
  DFS_ASSIGN_OR_RETURN(std::optional<StagedChunk> staged, stage(id, sealed, options_.durable));
  // Already stored: nothing to write, but a durable put promises the chunk
  // survives a crash, and the put that stored it may not have synced the
  // directory yet.
  if (staged) DFS_TRY(publish_staged(*staged));
  // If the sync fails the chunk stays (a concurrent get may already have
  // served it); the caller sees the error and a retry syncs again.
  if (options_.durable) DFS_TRY(sync_fanout_dir(id));
  return {};
}

class DiskPutBatch final : public PutBatch {
 public:
  explicit DiskPutBatch(DiskChunkStore& store) : store_(store) {}
  ~DiskPutBatch() override {
    for (auto& staged : staged_) ::unlink(staged.temp_path.c_str());
  }

  Status put(const ChunkId& id, ByteView sealed) override { return stage(id, sealed, /*trusted=*/false); }
  Status put_verified(const ChunkId& id, ByteView sealed) override { return stage(id, sealed, /*trusted=*/true); }

  Status commit() override { return publish(store_.options_.durable); }
  Status commit_unsynced() override { return publish(/*durable=*/false); }

 private:
  Status publish(bool durable) {
    std::lock_guard lock(mutex_);
    // A packed chunk's bytes and name are one record: synced before it is
    // visible if durable.
    Status packed = store_.publish_packed(packed_, durable);
    packed_.clear();
    if (!packed.ok()) staged_.clear();  // (the destructor removes their temp files)
    DFS_TRY(std::move(packed));
    if (durable && staged_.empty()) return {};
    if (durable) DFS_TRY(store_.sync_filesystem());  // the bytes, before any name
    Status status;
    for (auto& staged : staged_) {
      if (status.ok()) status = store_.publish_staged(staged);
      else ::unlink(staged.temp_path.c_str());
    }
    staged_.clear();
    DFS_TRY(status);
    if (durable) DFS_TRY(store_.sync_filesystem());  // the names
    return {};
  }

  Status stage(const ChunkId& id, ByteView sealed, bool trusted) {
    if (DiskChunkStore::packable(sealed.size())) {
      DFS_ASSIGN_OR_RETURN(auto packed, store_.stage_packed(id, sealed, trusted));
      if (packed) {
        std::lock_guard lock(mutex_);
        packed_.push_back(std::move(*packed));
      }
      return {};
    }
    DFS_ASSIGN_OR_RETURN(auto staged, store_.stage(id, sealed, /*sync_now=*/false, trusted));
    if (staged) {
      std::lock_guard lock(mutex_);
      staged_.push_back(std::move(*staged));
    }
    return {};
  }

  DiskChunkStore& store_;
  std::mutex mutex_;                  // guards staged_ and packed_
  std::vector<DiskChunkStore::StagedChunk> staged_;
  std::vector<DiskChunkStore::PackedChunk> packed_;
};

void DiskChunkStore::prefetch(const ChunkId& id) {
  if (pack_->contains(id)) return;  // small: read in one go when asked for
  const int fd = ::open(chunk_path(id).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return;
  (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED);  // queues the read, does not wait
  ::close(fd);
}

std::unique_ptr<PutBatch> DiskChunkStore::begin_batch() { return std::make_unique<DiskPutBatch>(*this); }

// Renames the temp file into place and commits the reservation, both under
// the ID's lock so that a concurrent remove sees the chunk and its usage
// together. Returns false if a concurrent put stored the chunk first (then
// the caller's guards drop the temp file and the reservation).
Result<bool> DiskChunkStore::publish(const ChunkId& id, const std::string& temp_path,
                                     UsageCounter::Reservation& reservation) {
  const std::string path = chunk_path(id);
  std::lock_guard lock(lock_for(id));
  DFS_ASSIGN_OR_RETURN(bool present, exists(path));
  if (present) return false;
  if (::rename(temp_path.c_str(), path.c_str()) != 0) return errno_error("cannot move chunk into " + path);
  reservation.commit();
  // Its bytes were checked before they were written (put, or a caller's
  // put_verified); stat after the rename, which changes the ctime.
  struct stat st{};
  if (::stat(path.c_str(), &st) == 0) verified_.remember(id, FileStamp::of(st));
  return true;
}

Result<bool> DiskChunkStore::move_from(DiskChunkStore& from, const ChunkId& id) {
  if (from.pack_->contains(id)) {
    // A packed chunk has no file to rename: append it here, then remove it
    // there (both small; its bytes were checked when `from` packed it).
    Bytes sealed;
    DFS_TRY(from.pack_->read(id, [&](std::size_t size) {
      sealed.resize(size);
      return sealed.data();
    }));
    DFS_ASSIGN_OR_RETURN(std::optional<PackedChunk> staged, stage_packed(id, sealed, /*trusted=*/true));
    if (staged) {
      std::vector<PackedChunk> one;
      one.push_back(std::move(*staged));
      DFS_TRY(publish_packed(one, /*sync=*/false));
    }
    DFS_ASSIGN_OR_RETURN(std::uint32_t size, from.pack_->remove(id));
    from.usage_.remove_stored(size);
    return true;
  }
  const std::string source = from.chunk_path(id);
  const std::string dest = chunk_path(id);
  // Both stores' entries for the ID change together; std::scoped_lock
  // takes the two locks without a lock-order deadlock.
  std::scoped_lock locks(from.lock_for(id), lock_for(id));
  struct stat st{};
  if (::lstat(source.c_str(), &st) != 0) {
    if (errno == ENOENT) return not_found(id);
    return errno_error("cannot stat " + source);
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  from.verified_.forget(id);
  DFS_ASSIGN_OR_RETURN(bool present, exists(dest));
  if (present) {
    if (::unlink(source.c_str()) != 0) return errno_error("cannot remove " + source);
    from.usage_.remove_stored(size);
    return true;
  }
  DFS_ASSIGN_OR_RETURN(UsageCounter::Reservation reservation, usage_.reserve(size));
  if (::rename(source.c_str(), dest.c_str()) != 0) {
    if (errno == EXDEV) return false;
    return errno_error("cannot move " + source + " to " + dest);
  }
  reservation.commit();
  from.usage_.remove_stored(size);
  return true;
}

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
Status DiskChunkStore::with_sealed(const ChunkId& id, const SealedUse& use) {
  Bytes fallback;
  DFS_ASSIGN_OR_RETURN(ByteView sealed, read_into_scratch(id, fallback, /*trust_unchanged=*/false));
  return use(sealed);
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
    if (fd.error().code == Errc::not_found) return not_found(id);
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
    return corrupt(id, why);
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
    return corrupt(id, "does not match its ID");
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
    return corrupt(id, "does not match its ID");
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

Result<bool> DiskChunkStore::contains(const ChunkId& id) {
  if (pack_->contains(id)) return true;
  return exists(chunk_path(id));
}

Status DiskChunkStore::remove(const ChunkId& id) {
  auto packed = pack_->remove(id);
  if (packed.ok()) {
    usage_.remove_stored(*packed);
    return {};
  }
  if (packed.error().code != Errc::not_found) return packed.take_error();
  const std::string path = chunk_path(id);
  // Under the ID's lock the size we stat is the size of the file we unlink.
  std::lock_guard lock(lock_for(id));
  struct stat st{};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return not_found(id);
    return errno_error("cannot stat " + path);
  }
  if (::unlink(path.c_str()) != 0) return errno_error("cannot remove " + path);
  verified_.forget(id);
  if (S_ISREG(st.st_mode)) usage_.remove_stored(static_cast<std::uint64_t>(st.st_size));
  return {};
}

Result<std::vector<ChunkId>> DiskChunkStore::list() {
  std::vector<ChunkId> ids = pack_->list();
  DFS_TRY(walk_chunks(chunks_dir_, log::Level::debug,
                      [&](const ChunkId& id, const struct stat&) { ids.push_back(id); }));
  return ids;
}

Result<DiskChunkStore::OnDisk> DiskChunkStore::locate(const ChunkId& id) {
  if (auto place = pack_->place(id)) return OnDisk{place->path, place->offset, true};
  const std::string path = chunk_path(id);
  DFS_ASSIGN_OR_RETURN(bool present, exists(path));
  if (!present) return not_found(id);
  return OnDisk{path, 0, false};
}

Result<std::vector<std::pair<ChunkId, DiskChunkStore::OnDisk>>> DiskChunkStore::list_on_disk(const std::string& dir) {
  std::vector<std::pair<ChunkId, OnDisk>> out;
  DFS_ASSIGN_OR_RETURN(auto packed, ChunkPack::scan(dir + "/packs"));
  for (auto& [id, place] : packed) out.emplace_back(id, OnDisk{std::move(place.path), place.offset, true});
  DFS_TRY(walk_chunks(dir + "/chunks", log::Level::debug, [&](const ChunkId& id, const struct stat&) {
    const std::string hex = id.hex();
    out.emplace_back(id, OnDisk{dir + "/chunks/" + hex.substr(0, 2) + "/" + hex, 0, false});
  }));
  return out;
}

Usage DiskChunkStore::usage() const { return usage_.usage(); }

}  // namespace dfs::store
