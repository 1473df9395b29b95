#include "file_content.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>

#include "dfs/util/log.hpp"

namespace dfs::fs {

namespace {

// Chunks sealed at once per pool thread, during a commit and by
// write-behind (bounds memory: each holds a plaintext and a sealed chunk).
constexpr std::size_t kSealsInFlightPerThread = 2;

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) { return a / b + (a % b != 0); }

}  // namespace

bool MemoryBudget::try_reserve(std::size_t n) {
  std::size_t used = used_.load();
  do {
    if (used + n > limit_) return false;
  } while (!used_.compare_exchange_weak(used, used + n));
  return true;
}

FileContent::FileContent(ContentEnv env, std::optional<ChunkId> manifest, std::optional<crypto::SecretKey> key,
                         std::uint64_t size, std::uint32_t new_chunk_size)
    : env_(std::move(env)), committed_(manifest), key_(std::move(key)), chunk_size_(new_chunk_size), size_(size),
      stream_(env_.network),
      write_behind_(*env_.store, *env_.pool, env_.in_flight, env_.pool->size() * kSealsInFlightPerThread) {
  base_.chunk_size = new_chunk_size;
}

FileContent::~FileContent() {
  settle_seals(/*wait=*/true);  // their buffers are still in the budget
  for (auto& [index, dirty] : dirty_) {
    if (!dirty.spilled) env_.budget->release(chunk_size_);
  }
  // Content dropped with chunks no commit named (a close that failed, with
  // ENOSPC say, or an unlinked file): nobody can reach them any more, so
  // their space comes back now rather than at the next GC.
  (void)write_behind_.wait_published();
  for (const auto& [index, ref] : sealed_ahead_) orphans_.push_back(ref.id);
  sealed_ahead_.clear();
  remove_orphans();
}

void FileContent::orphan_sealed_ahead(std::map<std::uint64_t, ChunkRef>::iterator first,
                                      std::map<std::uint64_t, ChunkRef>::iterator last) {
  for (auto it = first; it != last; ++it) orphans_.push_back(it->second.id);
  sealed_ahead_.erase(first, last);
}

// Each chunk write-behind stored was sealed under a fresh key of its own
// (a unique ID), so one no commit named is referenced by nothing at all.
void FileContent::remove_orphans() {
  for (const ChunkId& id : orphans_) {
    Status removed = env_.store->remove(id);
    if (!removed.ok() && removed.error().code != Errc::not_found) {
      log::warn("fs: could not remove chunk " + id.short_hex() + " that no version uses: " + removed.error().to_string());
    }
  }
  orphans_.clear();
}

void FileContent::remember_committed_manifest() const {
  if (changed_ || !base_loaded_ || !committed_ || !key_) return;
  env_.reader->remember_manifest(*key_, *committed_, base_);
}

Status FileContent::ensure_base() {
  if (base_loaded_) return {};
  if (committed_) {
    DFS_ASSIGN_OR_RETURN(base_, env_.reader->manifest(*key_, *committed_));
    chunk_size_ = base_.chunk_size;
  }
  base_loaded_ = true;
  return {};
}

const ChunkRef* FileContent::clean_ref(std::uint64_t index) const {
  auto ahead = sealed_ahead_.find(index);
  if (ahead != sealed_ahead_.end()) return &ahead->second;
  return base_.chunk(index);  // nullptr for a hole or past the end
}

Result<Plaintext> FileContent::clean_plaintext(std::uint64_t index) {
  // A chunk write-behind stored is readable once its batch is published.
  if (sealed_ahead_.count(index)) DFS_TRY(write_behind_.wait_published());
  const ChunkRef& ref = *clean_ref(index);
  return env_.reader->plaintext(ref.id, ref.key, ref.plain_size);
}

std::uint32_t FileContent::stored_length(std::uint64_t index) const {
  auto it = dirty_.find(index);
  if (it != dirty_.end()) return it->second.length;
  const ChunkRef* clean = clean_ref(index);
  return clean ? clean->plain_size : 0;
}

bool FileContent::holds_data(std::uint64_t index) const {
  return dirty_.count(index) || clean_ref(index) != nullptr;
}

std::uint64_t FileContent::next_data(std::uint64_t index) const {
  std::uint64_t next = std::numeric_limits<std::uint64_t>::max();
  if (auto it = dirty_.lower_bound(index); it != dirty_.end()) next = it->first;
  if (auto it = sealed_ahead_.lower_bound(index); it != sealed_ahead_.end()) next = std::min(next, it->first);
  const std::uint64_t stored = base_.next_stored(index);
  if (stored < base_.chunk_count()) next = std::min(next, stored);
  return next;
}

ByteView FileContent::zeros(std::size_t length) {
  if (!zeros_ || zeros_->size() < length) zeros_ = std::make_shared<const Bytes>(std::max<std::size_t>(length, chunk_size_), 0);
  return ByteView(*zeros_).first(length);
}

// Fills `out` with chunk `index`'s bytes from offset `from`; zeros past
// its stored length.
Status FileContent::copy_chunk(std::uint64_t index, std::uint32_t from, MutableByteView out) {
  const std::uint32_t length = stored_length(index);
  const std::size_t stored = from >= length ? 0 : std::min<std::size_t>(out.size(), length - from);
  // Only the part past the stored bytes: zeroing all of `out` first would
  // write every byte a read returns twice.
  std::fill(out.begin() + static_cast<std::ptrdiff_t>(stored), out.end(), std::uint8_t{0});
  if (stored == 0) return {};
  MutableByteView present = out.first(stored);
  auto it = dirty_.find(index);
  if (it != dirty_.end() && it->second.spilled) {
    auto n = pread_full(spill_.get(), present, chunk_offset(index) + from, "the write-back spill file");
    if (!n.ok()) return n.take_error();
    return {};
  }
  if (it != dirty_.end()) {
    std::memcpy(present.data(), it->second.data.data() + from, present.size());
    return {};
  }
  DFS_ASSIGN_OR_RETURN(Plaintext plain, clean_plaintext(index));
  std::memcpy(present.data(), plain->data() + from, present.size());
  return {};
}

template <typename Visit>
Status FileContent::for_each_piece(std::uint64_t offset, std::size_t length, Visit&& visit) {
  std::size_t done = 0;
  while (done < length) {
    const std::uint64_t pos = offset + done;
    const std::uint64_t index = pos / chunk_size_;
    const auto from = static_cast<std::uint32_t>(pos % chunk_size_);
    const std::size_t take = std::min<std::size_t>(length - done, chunk_size_ - from);
    DFS_TRY(visit(index, from, take, done));
    done += take;
  }
  return {};
}

Result<std::size_t> FileContent::read(std::uint64_t offset, MutableByteView out) {
  DFS_TRY(ensure_base());
  if (offset >= size_) return std::size_t{0};
  const std::size_t total = static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), size_ - offset));
  if (total == 0) return std::size_t{0};
  settle_range(offset / chunk_size_, (offset + total - 1) / chunk_size_);
  auto copy = [&](std::uint64_t index, std::uint32_t from, std::size_t take, std::size_t done) -> Status {
    return copy_chunk(index, from, out.subspan(done, take));
  };
  DFS_TRY(for_each_piece(offset, total, copy));
  return total;
}

Result<ReadPieces> FileContent::read_pieces(std::uint64_t offset, std::size_t size) {
  DFS_TRY(ensure_base());
  ReadPieces read;
  if (offset >= size_) return read;
  const std::size_t total = static_cast<std::size_t>(std::min<std::uint64_t>(size, size_ - offset));
  if (total == 0) return read;
  settle_range(offset / chunk_size_, (offset + total - 1) / chunk_size_);
  auto lend = [&](std::uint64_t index, std::uint32_t from, std::size_t take, std::size_t) -> Status {
    if (from >= stored_length(index)) {  // a hole, or past the stored bytes: zeros, no I/O
      read.pieces.push_back(zeros(take));
      read.owners.push_back(zeros_);
      return Status{};
    }
    const ChunkRef* clean = dirty_.count(index) ? nullptr : clean_ref(index);
    if (clean == nullptr || from + take > clean->plain_size) {
      // Written since the commit, or past the stored bytes (zeros): copied.
      auto copy = std::make_shared<Bytes>(take);
      DFS_TRY(copy_chunk(index, from, *copy));
      read.add_owned(std::move(copy));
      return Status{};
    }
    DFS_ASSIGN_OR_RETURN(Plaintext plain, clean_plaintext(index));
    read.pieces.push_back(plain->view().subspan(from, take));
    read.owners.push_back(std::move(plain));
    return Status{};
  };
  DFS_TRY(for_each_piece(offset, total, lend));
  return read;
}

void FileContent::prefetch(std::uint64_t first, std::uint32_t count) {
  if (!base_loaded_) return;
  for (std::uint64_t index = first; index < first + count && index < base_.chunk_count(); ++index) {
    // The writer's own chunks are not base chunks.
    if (dirty_.count(index) || sealed_ahead_.count(index) || write_behind_.sealing(index)) continue;
    const ChunkRef* ref = base_.chunk(index);
    if (ref) env_.reader->prefetch(ref->id, ref->key, ref->plain_size);
  }
}

Status FileContent::ensure_spill() {
  if (spill_.valid()) return {};
  std::string path = env_.scratch_dir + "/.dfs-spill-XXXXXX";
  int fd = ::mkstemp(path.data());
  if (fd < 0) return errno_error("creating a spill file in " + env_.scratch_dir);
  spill_ = UniqueFd(fd);
  ::unlink(path.c_str());  // nameless: gone with the descriptor, even after a crash
  return {};
}

// The dirty buffer of chunk `index`, made from its current content unless
// the caller overwrites all of it.
Result<FileContent::Dirty*> FileContent::dirty_for_write(std::uint64_t index, bool overwrites_all) {
  auto it = dirty_.find(index);
  if (it != dirty_.end()) return &it->second;
  Bytes initial;
  if (!overwrites_all && clean_ref(index)) {
    DFS_ASSIGN_OR_RETURN(Plaintext plain, clean_plaintext(index));
    initial.assign(plain->data(), plain->data() + plain->size());
  }
  // Written again: what write-behind stored is garbage now, and the chunk
  // stays dirty until the commit, so an editor of one chunk does not pay a
  // seal (and a read back) per write.
  if (auto ahead = sealed_ahead_.find(index); ahead != sealed_ahead_.end()) {
    orphan_sealed_ahead(ahead, std::next(ahead));
    written_again_.insert(index);
  }
  Dirty dirty;
  dirty.length = static_cast<std::uint32_t>(initial.size());
  if (env_.budget->try_reserve(chunk_size_)) {
    dirty.data = std::move(initial);
    dirty.data.reserve(chunk_size_);
  } else {
    DFS_TRY(ensure_spill());
    DFS_TRY(pwrite_all(initial, chunk_offset(index)));
    dirty.spilled = true;
  }
  return &dirty_.emplace(index, std::move(dirty)).first->second;
}

Status FileContent::pwrite_all(ByteView data, std::uint64_t offset) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pwrite(spill_.get(), data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("writing the write-back spill file in " + env_.scratch_dir);
    done += static_cast<std::size_t>(n);
  }
  return {};
}

Status FileContent::write_into(Dirty& dirty, std::uint64_t index, std::uint32_t at, ByteView data) {
  const auto end = static_cast<std::uint32_t>(at + data.size());
  if (!dirty.spilled) {
    Bytes& buffer = dirty.data;
    if (buffer.size() < at) buffer.resize(at);  // zero-fills a gap
    // Overwrites what is there, appends the rest: a fresh buffer is never
    // zero-filled only to be overwritten (a sequential writer's case).
    const std::size_t in_place = std::min(data.size(), buffer.size() - at);
    std::memcpy(buffer.data() + at, data.data(), in_place);
    buffer.insert(buffer.end(), data.begin() + static_cast<std::ptrdiff_t>(in_place), data.end());
  } else {
    if (at > dirty.length) DFS_TRY(pwrite_all(Bytes(at - dirty.length, 0), chunk_offset(index) + dirty.length));
    DFS_TRY(pwrite_all(data, chunk_offset(index) + at));
  }
  dirty.length = std::max(dirty.length, end);
  return {};
}

Status FileContent::write(std::uint64_t offset, ByteView data) {
  DFS_TRY(ensure_base());
  if (data.empty()) return {};
  if (offset > kMaxFileSize || data.size() > kMaxFileSize - offset) {
    return make_error(Errc::too_large, "a write past " + std::to_string(kMaxFileSize) + " bytes");
  }
  settle_range(offset / chunk_size_, (offset + data.size() - 1) / chunk_size_);
  std::size_t done = 0;
  while (done < data.size()) {
    const std::uint64_t pos = offset + done;
    const std::uint64_t index = pos / chunk_size_;
    const auto at = static_cast<std::uint32_t>(pos % chunk_size_);
    const std::size_t take = std::min<std::size_t>(data.size() - done, chunk_size_ - at);
    const bool overwrites_all = at == 0 && take >= stored_length(index);
    DFS_ASSIGN_OR_RETURN(Dirty * dirty, dirty_for_write(index, overwrites_all));
    DFS_TRY(write_into(*dirty, index, at, data.subspan(done, take)));
    // A sequential writer completes a chunk by writing its end.
    if (at + take == chunk_size_) write_behind_if_complete(index);
    done += take;
  }
  size_ = std::max<std::uint64_t>(size_, offset + data.size());
  changed_ = true;
  return {};
}

Status FileContent::trim(Dirty& dirty, std::uint32_t length) {
  if (length >= dirty.length) return {};
  dirty.length = length;
  if (!dirty.spilled) dirty.data.resize(length);
  return {};
}

void FileContent::drop_dirty(std::uint64_t index) {
  auto it = dirty_.find(index);
  if (it == dirty_.end()) return;
  if (!it->second.spilled) env_.budget->release(chunk_size_);
  dirty_.erase(it);
}

Status FileContent::truncate(std::uint64_t size) {
  DFS_TRY(ensure_base());
  if (size > kMaxFileSize) return make_error(Errc::too_large, "a size past " + std::to_string(kMaxFileSize) + " bytes");
  if (size == size_) return {};
  settle_seals(/*wait=*/true);
  const std::uint64_t keep = ceil_div(size, chunk_size_);
  while (!dirty_.empty() && dirty_.rbegin()->first >= keep) drop_dirty(dirty_.rbegin()->first);
  orphan_sealed_ahead(sealed_ahead_.lower_bound(keep), sealed_ahead_.end());
  base_.keep_chunks(keep);
  const auto tail = static_cast<std::uint32_t>(size % chunk_size_);
  if (tail != 0 && stored_length(keep - 1) > tail) {
    DFS_ASSIGN_OR_RETURN(Dirty * dirty, dirty_for_write(keep - 1, false));
    DFS_TRY(trim(*dirty, tail));
  }
  size_ = size;
  changed_ = true;
  return {};
}

Status FileContent::zero_stored(std::uint64_t offset, std::uint64_t end) {
  auto zero = [&](std::uint64_t index, std::uint32_t from, std::size_t take, std::size_t) -> Status {
    const std::uint32_t length = stored_length(index);
    if (from >= length) return Status{};  // zeros already
    const auto to = static_cast<std::uint32_t>(std::min<std::uint64_t>(from + take, length));
    DFS_ASSIGN_OR_RETURN(Dirty * dirty, dirty_for_write(index, /*overwrites_all=*/false));
    return write_into(*dirty, index, from, zeros(to - from));
  };
  return for_each_piece(offset, static_cast<std::size_t>(end - offset), zero);
}

Status FileContent::punch(std::uint64_t offset, std::uint64_t end) {
  DFS_TRY(ensure_base());
  end = std::min(end, size_);
  if (offset >= end) return {};
  settle_seals(/*wait=*/true);
  // The chunks covered whole (the last one whole if the range reaches the end).
  const std::uint64_t first = ceil_div(offset, chunk_size_);
  const std::uint64_t last = end == size_ ? ceil_div(end, chunk_size_) : end / chunk_size_;
  if (first < last) {
    while (true) {
      auto it = dirty_.lower_bound(first);
      if (it == dirty_.end() || it->first >= last) break;
      drop_dirty(it->first);
    }
    orphan_sealed_ahead(sealed_ahead_.lower_bound(first), sealed_ahead_.lower_bound(last));
    base_.punch(first, last);
    DFS_TRY(zero_stored(offset, chunk_offset(first)));
    if (chunk_offset(last) < end) DFS_TRY(zero_stored(chunk_offset(last), end));
  } else {
    DFS_TRY(zero_stored(offset, end));
  }
  changed_ = true;
  return {};
}

Result<std::uint64_t> FileContent::seek(std::uint64_t offset, bool hole) {
  DFS_TRY(ensure_base());
  if (offset >= size_) return make_error(Errc::not_found, "offset " + std::to_string(offset) + " is past the end");
  settle_seals(/*wait=*/true);
  const std::uint64_t count = ceil_div(size_, chunk_size_);
  const std::uint64_t start = offset / chunk_size_;
  if (!hole) {
    if (holds_data(start)) return offset;
    const std::uint64_t next = next_data(start);
    if (next >= count) return make_error(Errc::not_found, "no data after offset " + std::to_string(offset));
    return chunk_offset(next);
  }
  std::uint64_t index = start;
  while (index < count && holds_data(index)) ++index;
  return index == start ? offset : std::min(size_, chunk_offset(index));
}

Result<std::uint64_t> FileContent::stored_bytes() {
  DFS_TRY(ensure_base());
  std::uint64_t total = 0;
  std::uint64_t index = 0;
  for (const ManifestEntry& entry : base_.entries()) {
    if (!entry.is_hole() && !dirty_.count(index) && !sealed_ahead_.count(index)) total += entry.chunk.plain_size;
    index += entry.span();
  }
  for (const auto& [i, dirty] : dirty_) total += dirty.length;
  for (const auto& [i, ref] : sealed_ahead_) total += ref.plain_size;
  return total + write_behind_.running() * std::uint64_t{chunk_size_};
}

// Chunk `index` as the new version stores it: `required` bytes.
Result<Bytes> FileContent::plaintext_of(std::uint64_t index, std::uint32_t required) {
  Bytes plain(required);
  DFS_TRY(copy_chunk(index, 0, plain));
  return plain;
}

Result<ChunkRef> FileContent::seal_one(std::uint64_t index, std::uint32_t required, store::PutBatch& batch) {
  const ChunkRef* clean = dirty_.count(index) ? nullptr : clean_ref(index);
  if (clean && clean->plain_size == required) {
    const ChunkRef& ref = *clean;
    // Write-behind's chunks are in the local store (finish_write_behind).
    if (!sealed_ahead_.count(index) && !env_.reader->held_locally(ref.id)) {
      DFS_ASSIGN_OR_RETURN(Bytes sealed, env_.reader->sealed(ref.id));
      DFS_TRY(batch.put(ref.id, sealed));
    }
    return ref;
  }
  auto it = dirty_.find(index);
  if (it != dirty_.end() && !it->second.spilled && it->second.length == required) {
    return writer().write_chunk(it->second.data, batch);
  }
  DFS_ASSIGN_OR_RETURN(Bytes plain, plaintext_of(index, required));
  return writer().write_chunk(plain, batch);
}

// Walks the data chunks only: a run of holes between them is one entry,
// whatever its length, so a sparse terabyte seals in O(its data).
Status FileContent::seal_entries(Manifest& manifest, store::PutBatch& batch) {
  const std::uint64_t count = ceil_div(size_, chunk_size_);
  Status failure;
  OrderedPipeline<Result<ManifestEntry>> pipeline(*env_.pool, env_.pool->size() * kSealsInFlightPerThread);
  auto consume = [&](Result<ManifestEntry> entry) {
    if (!entry.ok()) {
      failure = entry.take_error();
      return false;
    }
    if (entry->is_hole()) {
      manifest.add_holes(entry->holes);
    } else {
      manifest.add_chunk(entry->chunk);
    }
    return true;
  };
  for (std::uint64_t i = 0; i < count && failure.ok();) {
    const std::uint64_t data = std::min(next_data(i), count);
    if (data > i) {  // in order with the seals before it, like them
      if (!pipeline.push([run = data - i] { return Result<ManifestEntry>(ManifestEntry::hole_run(run)); }, consume)) break;
      i = data;
      continue;
    }
    const auto required = static_cast<std::uint32_t>(std::min<std::uint64_t>(chunk_size_, size_ - chunk_offset(i)));
    auto seal = [this, i, required, &batch]() -> Result<ManifestEntry> {
      DFS_ASSIGN_OR_RETURN(ChunkRef ref, seal_one(i, required, batch));
      return ManifestEntry{0, std::move(ref)};
    };
    ++i;
    // A file of one chunk (most small files) is sealed here: handing it
    // to a pool thread and back would cost more than sealing it.
    if (count == 1) {
      consume(seal());
      break;
    }
    if (!pipeline.push(std::move(seal), consume)) break;
  }
  pipeline.drain(consume);
  return failure;
}

const store::VersionWriter& FileContent::writer() {
  // Keys are the writer's business (a fresh one per chunk and per
  // manifest), so one writer serves every version of the file.
  if (!writer_) writer_.emplace(stream_.sink());
  return *writer_;
}

Result<NewVersion> FileContent::seal_version(store::InFlightChunks::Hold& hold) {
  DFS_TRY(ensure_base());
  DFS_TRY(finish_write_behind());
  (void)writer();  // made here, not on the pool's threads
  Manifest manifest;
  manifest.file_size = size_;
  manifest.chunk_size = chunk_size_;
  std::unique_ptr<store::PutBatch> batch = store::InFlightChunks::tracked(env_.store->begin_batch(), hold);
  DFS_TRY(seal_entries(manifest, *batch));
  DFS_ASSIGN_OR_RETURN(store::WrittenManifest written, writer().write_manifest(manifest, *batch));
  NewVersion version{written.head, written.key, std::move(manifest), {}, {}};
  version.referenced = version.manifest.stored_ids();
  version.referenced.insert(version.referenced.end(), written.segments.begin(), written.segments.end());
  DFS_TRY(batch->commit_unsynced());  // made durable by FsImpl::make_durable (fs_durability.cpp)
  version.replication = stream_.take();
  return version;
}

void FileContent::adopt(NewVersion version) {
  while (!dirty_.empty()) drop_dirty(dirty_.begin()->first);
  if (spill_.valid() && ::ftruncate(spill_.get(), 0) != 0) spill_.reset();  // a fresh one next time
  sealed_ahead_.clear();  // the base names them now
  written_again_.clear();
  remove_orphans();  // published (seal_version finished write-behind), named by nothing
  write_behind_.release_hold();
  committed_ = version.head;
  key_ = version.key;
  base_ = std::move(version.manifest);
  base_loaded_ = true;
  size_ = base_.file_size;
  changed_ = false;
}

Result<std::vector<ChunkId>> FileContent::committed_chunks() {
  if (!committed_) return std::vector<ChunkId>{};
  DFS_ASSIGN_OR_RETURN(Manifest manifest, env_.reader->manifest(*key_, *committed_));
  std::vector<ChunkId> ids{*committed_};
  for (const ChunkId& chunk : manifest.stored_ids()) ids.push_back(chunk);
  return ids;
}

void FileContent::write_behind_if_complete(std::uint64_t index) {
  auto it = dirty_.find(index);
  if (it == dirty_.end() || it->second.spilled || it->second.length != chunk_size_) return;
  if (written_again_.count(index)) return;
  const store::VersionWriter& chunk_writer = writer();
  while (write_behind_.full()) settle(write_behind_.wait_oldest());
  // The buffer goes with the job; its budget is released when settled.
  write_behind_.start(index, chunk_writer, std::move(it->second.data));
  dirty_.erase(it);
  settle_seals(/*wait=*/false);
}

void FileContent::settle_seals(bool wait) {
  if (wait) {
    while (!write_behind_.idle()) settle(write_behind_.wait_oldest());
    return;
  }
  while (auto outcome = write_behind_.poll_oldest()) settle(std::move(*outcome));
}

void FileContent::settle(WriteBehind::Outcome outcome) {
  if (outcome.ref.ok()) {
    env_.budget->release(chunk_size_);
    sealed_ahead_[outcome.index] = *outcome.ref;
    return;
  }
  // Kept as dirty data (still in the budget): seal_version retries it.
  if (write_behind_error_.ok()) write_behind_error_ = outcome.ref.take_error();
  Dirty dirty;
  dirty.length = static_cast<std::uint32_t>(outcome.plaintext.size());
  dirty.data = std::move(outcome.plaintext);
  dirty_[outcome.index] = std::move(dirty);
}

void FileContent::settle_range(std::uint64_t first, std::uint64_t last) {
  for (std::uint64_t index = first; index <= last; ++index) {
    if (write_behind_.sealing(index)) return settle_seals(/*wait=*/true);
  }
}

// Everything write-behind started is stored and published, or its error
// is returned (a background put's once: its chunk is dirty again).
Status FileContent::finish_write_behind() {
  settle_seals(/*wait=*/true);
  DFS_TRY(write_behind_.wait_published());
  if (!write_behind_error_.ok()) return std::exchange(write_behind_error_, Status{});
  return {};
}

}  // namespace dfs::fs
