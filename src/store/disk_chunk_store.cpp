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

#include "chunk_file_io.hpp"
#include "dir_util.hpp"
#include "dfs/util/clock.hpp"
#include "dfs/util/log.hpp"

namespace dfs::store {
namespace {

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
  store->load_verified();
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

DiskChunkStore::~DiskChunkStore() { save_verified(); }

// Read whole, if no larger than a full VerifiedFiles encodes to: a larger
// file is not one this store wrote.
void DiskChunkStore::load_verified() {
  constexpr std::uint64_t kMaxBytes = 64 + std::uint64_t{VerifiedFiles::kDefaultCapacity} * 80;
  const std::string path = verified_path();
  auto fd = open_file(path, O_RDONLY | O_NOFOLLOW);
  if (!fd.ok()) {
    if (fd.error().code != Errc::not_found) log::warn("chunk store: " + fd.error().to_string());
    return;
  }
  auto restore = [&]() -> Status {
    struct stat st{};
    if (::fstat(fd->get(), &st) != 0) return errno_error("cannot stat " + path);
    if (static_cast<std::uint64_t>(st.st_size) > kMaxBytes) return make_error(Errc::too_large, "larger than a store writes");
    Bytes bytes(static_cast<std::size_t>(st.st_size));
    DFS_ASSIGN_OR_RETURN(std::size_t got, read_full(fd->get(), bytes, path));
    return verified_.restore(ByteView(bytes).first(got));
  };
  if (Status restored = restore(); !restored.ok()) {
    log::warn("chunk store: ignoring " + path + " (" + restored.error().to_string() +
              "): the chunks read first will be hashed again");
  }
}

// To a temp name, then renamed over the old file: a crash leaves the old
// file or the new one (or, unsynced, a torn one the checksum refuses).
void DiskChunkStore::save_verified() const {
  const std::string path = verified_path();
  const std::string temp = path + ".new";
  auto fd = open_file(temp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
  Status saved = fd.ok() ? write_full(fd->get(), verified_.encode(), temp) : Status(fd.take_error());
  if (saved.ok() && ::close(fd->release()) != 0) saved = errno_error("cannot close " + temp);
  if (saved.ok() && ::rename(temp.c_str(), path.c_str()) != 0) saved = errno_error("cannot rename " + temp);
  if (!saved.ok()) {
    ::unlink(temp.c_str());
    log::warn("chunk store: could not keep what it verified (" + saved.error().to_string() +
              "): chunks read after the next open will be hashed again");
  }
}

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
    if (packable(static_cast<std::size_t>(st.st_size))) small_files_.store(true);
  });
}

std::string DiskChunkStore::unique_suffix() {
  // The clock keeps quarantine names unique across restarts; the counter
  // keeps names unique within this process.
  return std::to_string(now_ns()) + "-" +
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
  // A file of its own would be as small (same ID, same bytes).
  DFS_ASSIGN_OR_RETURN(bool present, small_files_.load() ? contains(id) : Result<bool>(pack_->contains(id)));
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
  if (::stat(path.c_str(), &st) == 0) {
    verified_.remember(id, FileStamp::of(st));
    if (packable(static_cast<std::size_t>(st.st_size))) small_files_.store(true);
  } else {
    small_files_.store(true);  // not known: assume the worst
  }
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
    if (errno == ENOENT) return chunk_not_found(id);
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
  if (packable(static_cast<std::size_t>(size))) small_files_.store(true);  // before it can be seen
  if (::rename(source.c_str(), dest.c_str()) != 0) {
    if (errno == EXDEV) return false;
    return errno_error("cannot move " + source + " to " + dest);
  }
  reservation.commit();
  from.usage_.remove_stored(size);
  return true;
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
    if (errno == ENOENT) return chunk_not_found(id);
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
  if (!present) return chunk_not_found(id);
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
