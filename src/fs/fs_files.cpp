// FsImpl: open files. One FileState per open inode, shared by its handles;
// commits of its content run under the state's lock, so they are ordered.
#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <optional>

#include "dfs/util/log.hpp"
#include "dfs/util/process.hpp"
#include "fs_impl.hpp"

namespace dfs::fs {

namespace {

bool can_read(int flags) { return (flags & O_ACCMODE) != O_WRONLY; }
bool can_write(int flags) { return (flags & O_ACCMODE) != O_RDONLY; }

Error bad_handle(FileHandle fh) {
  return make_error(Errc::invalid_argument, "no open file handle " + std::to_string(fh));
}

}  // namespace

Result<std::shared_ptr<FileState>> FsImpl::acquire_state(Ino ino, const index::InodeAttr* known) {
  std::lock_guard lock(mu_);
  auto it = states_.find(ino);
  if (it != states_.end()) {
    ++it->second.users;
    return it->second.state;
  }
  index::InodeAttr read;
  if (known == nullptr) {
    DFS_ASSIGN_OR_RETURN(read, backend_.index->get_inode(ino));
    known = &read;
  }
  const index::InodeAttr& inode = *known;
  if (S_ISDIR(inode.mode)) return make_error(Errc::is_directory, "inode " + std::to_string(ino) + " is a directory");
  if (!S_ISREG(inode.mode)) return make_error(Errc::invalid_argument, "inode " + std::to_string(ino) + " is not a regular file");
  std::optional<crypto::SecretKey> key;
  if (inode.file_key) key = crypto::SecretKey::from_bytes(*inode.file_key);
  ContentEnv env{&reader_, backend_.store, backend_.pool, &budget_, options_.scratch_dir, backend_.in_flight,
                 backend_.network};
  auto state = std::make_shared<FileState>(ino, inode.mtime_ns, std::move(env), inode.manifest, std::move(key),
                                           inode.size, options_.chunk_size);
  state->setid.store((inode.mode & (S_ISUID | S_ISGID)) != 0);
  states_.emplace(ino, OpenState{state, 1});
  return state;
}

std::optional<index::InodeAttr> FsImpl::release_state(Ino ino) {
  std::shared_ptr<FileState> last;
  {
    std::lock_guard lock(mu_);
    auto it = states_.find(ino);
    if (it == states_.end() || --it->second.users > 0) return std::nullopt;
    last = std::move(it->second.state);
    states_.erase(it);
  }
  {
    std::lock_guard lock(last->mu);
    last->content.remember_committed_manifest();
  }
  std::optional<index::InodeAttr> linked;
  Status reaped = reap_if_unlinked(ino, &linked);
  if (!reaped.ok()) log::warn("fs: removing unlinked inode " + std::to_string(ino) + ": " + reaped.error().to_string());
  return linked;
}

std::shared_ptr<FileState> FsImpl::find_state(Ino ino) {
  std::lock_guard lock(mu_);
  auto it = states_.find(ino);
  return it == states_.end() ? nullptr : it->second.state;
}

Result<std::shared_ptr<Handle>> FsImpl::find_handle(FileHandle fh) {
  std::lock_guard lock(mu_);
  auto it = handles_.find(fh);
  if (it == handles_.end()) return bad_handle(fh);
  return it->second;
}

Result<FileHandle> FsImpl::add_handle(Ino ino, int flags, std::shared_ptr<FileState> state) {
  auto handle = std::make_shared<Handle>();
  handle->ino = ino;
  handle->flags = flags;
  handle->state = std::move(state);
  std::lock_guard lock(mu_);
  const FileHandle fh = next_fh_++;
  handles_.emplace(fh, std::move(handle));
  return fh;
}

Status FsImpl::reap_if_unlinked(Ino ino, std::optional<index::InodeAttr>* linked_out) {
  std::lock_guard lock(mu_);  // no state may be made for `ino` meanwhile
  if (auto open = states_.find(ino); open != states_.end()) {
    // Its last release reaps it. A link count of 0 stays 0 (link() refuses
    // such an inode), so the mark is never wrong.
    auto inode = backend_.index->get_inode(ino);
    if (inode.ok() && inode->nlink == 0) open->second.state->unlinked.store(true);
    return {};
  }
  // Every release of a file lands here: a plain read settles the common
  // case (still linked) without taking the index's write lock. An unlink
  // racing with it reaps by itself after committing nlink 0 (see unlink).
  auto linked = backend_.index->get_inode(ino);
  if (!linked.ok()) return linked.error().code == Errc::not_found ? Status{} : linked.take_error();
  if (linked->nlink > 0) {
    if (linked_out) *linked_out = std::move(*linked);
    return {};
  }
  DFS_ASSIGN_OR_RETURN(index::NamespaceTxn txn, backend_.index->begin_namespace());
  auto inode = txn.get_inode(ino);
  if (!inode.ok()) return inode.error().code == Errc::not_found ? Status{} : inode.take_error();
  if (inode->nlink > 0) return {};
  DFS_TRY(txn.delete_inode(ino));
  if (inode->manifest) DFS_TRY(txn.release_version(*inode->manifest));
  return txn.commit();
}

Status FsImpl::reap_orphans() {
  std::vector<std::uint64_t> orphans;
  {
    DFS_ASSIGN_OR_RETURN(index::NamespaceTxn txn, backend_.index->begin_namespace());
    DFS_ASSIGN_OR_RETURN(orphans, txn.orphans());
  }
  for (Ino ino : orphans) DFS_TRY(reap_if_unlinked(ino));
  return {};
}

Attr FsImpl::with_open_state(const index::InodeAttr& inode) {
  Attr attr = to_attr(inode);
  if (!S_ISREG(inode.mode)) return attr;
  std::shared_ptr<FileState> state = find_state(inode.ino);
  if (!state) return attr;
  std::lock_guard lock(state->mu);
  if (state->content.changed()) {
    attr.size = state->content.size();
    if (auto stored = state->content.stored_bytes(); stored.ok()) attr.blocks = (*stored + 511) / 512;
    attr.mtime = Timespec{state->mtime_ns / 1'000'000'000, state->mtime_ns % 1'000'000'000};
  }
  return attr;
}

Result<bool> FsImpl::commit_version(FileState& state, const NewVersion& version) {
  DFS_ASSIGN_OR_RETURN(index::NamespaceTxn txn, backend_.index->begin_namespace());
  DFS_ASSIGN_OR_RETURN(index::InodeAttr inode, txn.get_inode(state.ino));
  if (inode.nlink == 0) return false;  // unlinked: nobody can see this content again
  const std::optional<ChunkId> previous = inode.manifest;
  const std::optional<index::FileKey> previous_key = inode.file_key;
  const std::uint64_t previous_size = inode.size;
  const std::int64_t previous_mtime_ns = inode.mtime_ns;
  inode.manifest = version.head;
  inode.file_key = version.key.bytes();
  inode.size = version.manifest.file_size;
  inode.stored_bytes = version.manifest.stored_bytes();
  inode.mtime_ns = state.mtime_ns;
  inode.ctime_ns = now_ns();
  DFS_TRY(txn.update_inode(inode));
  DFS_ASSIGN_OR_RETURN(auto name, txn.some_name(state.ino));
  index::FileRecord record{version.head,
                           version.key.bytes(),
                           name.value_or("inode " + std::to_string(state.ino)),
                           version.manifest.file_size,
                           version.manifest.chunk_size,
                           version.manifest.chunk_count(),
                           unix_seconds()};
  DFS_TRY(txn.record_version(record, version.referenced));
  // The previous version stays recorded until this one is durable: it is
  // what recovery goes back to if a power loss takes this one's chunks.
  DFS_TRY(txn.record_unsynced_version(index::UnsyncedVersion{0, state.ino, version.head, previous, previous_key,
                                                             previous_size, previous_mtime_ns}));
  DFS_TRY(txn.commit());
  return true;
}

Status FsImpl::commit_locked(FileState& state, VersionStream::Taken* replication) {
  if (!state.content.changed() || state.unlinked.load()) return {};
  // GC keeps off the version's chunks from before they are stored until
  // the index names them (store/in_flight.hpp).
  store::InFlightChunks::Hold hold = backend_.in_flight ? backend_.in_flight->hold() : store::InFlightChunks::Hold();
  DFS_ASSIGN_OR_RETURN(NewVersion version, state.content.seal_version(hold));
  Result<bool> committed = commit_version(state, version);
  if (!committed.ok()) {
    log::warn("fs: committing inode " + std::to_string(state.ino) + " failed: " + committed.error().to_string());
    return committed.take_error();
  }
  if (!*committed) return {};  // unlinked meanwhile: GC takes the chunks sealed for nothing
  if (replication) {
    *replication = std::move(version.replication);
  } else if (replication_ && version.replication.stream) {
    replication_->push(std::move(version.replication));
  }
  state.content.adopt(std::move(version));
  if (options_.commit_interval.count() == 0) return make_durable();
  return {};
}

Result<std::pair<Attr, FileHandle>> FsImpl::create(const Caller& caller, Ino parent, std::string_view name,
                                                   std::uint32_t mode, int flags) {
  index::InodeAttr inode;
  inode.mode = S_IFREG | (mode & 07777 & ~caller.umask);
  inode.nlink = 1;
  DFS_ASSIGN_OR_RETURN(index::InodeAttr made, make_inode(caller, parent, name, std::move(inode)));
  // Opened from the inode as its transaction wrote it: no read back. It is
  // new (numbers are not reused while mounted), so its pages cannot be cached.
  const Attr attr = to_attr(made);
  DFS_ASSIGN_OR_RETURN(auto state, acquire_state(made.ino, &made));
  (void)note_stamp(made.ino, attr, /*at_open=*/true);
  DFS_ASSIGN_OR_RETURN(FileHandle fh, add_handle(made.ino, flags & ~O_TRUNC, std::move(state)));
  if ((flags & O_ACCMODE) == O_WRONLY) {
    std::lock_guard lock(mu_);
    handles_.at(fh)->uncached = true;
  }
  return std::make_pair(attr, fh);
}

Result<FileHandle> FsImpl::open(Ino ino, int flags) {
  DFS_ASSIGN_OR_RETURN(auto state, acquire_state(ino));
  if ((flags & O_TRUNC) && can_write(flags)) {
    Status truncated;
    {
      std::lock_guard lock(state->mu);
      if (state->content.size() != 0) {
        truncated = state->content.truncate(0);
        state->mtime_ns = now_ns();
      }
    }
    if (!truncated.ok()) {
      release_state(ino);
      return truncated.take_error();
    }
  }
  const bool keep = (flags & O_TRUNC) == 0 && note_stamp(ino, /*at_open=*/true);
  DFS_ASSIGN_OR_RETURN(FileHandle fh, add_handle(ino, flags, std::move(state)));
  if (keep) {
    std::lock_guard lock(mu_);
    handles_.at(fh)->keeps_cache = true;
  }
  return fh;
}

bool FsImpl::note_stamp(Ino ino, bool at_open) {
  auto attr = getattr(ino);
  if (!attr.ok()) return false;
  return note_stamp(ino, *attr, at_open);
}

bool FsImpl::note_stamp(Ino ino, const Attr& attr, bool at_open) {
  const Stamp stamp{attr.size, attr.mtime};
  std::lock_guard lock(mu_);
  auto [it, inserted] = stamps_.try_emplace(ino, stamp);
  if (inserted) return false;  // nothing known about pages cached before
  const bool same = it->second == stamp;
  it->second = stamp;
  return at_open && same;
}

bool FsImpl::keeps_cache(FileHandle fh) {
  auto handle = find_handle(fh);
  return handle.ok() && (*handle)->keeps_cache;
}

bool FsImpl::writes_uncached(FileHandle fh) {
  auto handle = find_handle(fh);
  return handle.ok() && (*handle)->uncached;
}

Result<std::shared_ptr<Handle>> FsImpl::readable_handle(FileHandle fh) {
  DFS_ASSIGN_OR_RETURN(auto handle, find_handle(fh));
  if (!can_read(handle->flags)) return make_error(Errc::invalid_argument, "handle " + std::to_string(fh) + " is write-only");
  return handle;
}

void FsImpl::read_ahead_after(Handle& handle, std::uint64_t offset, std::size_t n) {
  const bool sequential = handle.next_offset.exchange(offset + n) == offset;
  if (sequential && n > 0 && options_.read_ahead_chunks > 0) {
    handle.state->content.prefetch((offset + n) / handle.state->content.chunk_size(), options_.read_ahead_chunks);
  }
}

Result<std::size_t> FsImpl::read(FileHandle fh, std::uint64_t offset, MutableByteView out) {
  DFS_ASSIGN_OR_RETURN(auto handle, readable_handle(fh));
  std::lock_guard lock(handle->state->mu);
  DFS_ASSIGN_OR_RETURN(std::size_t n, handle->state->content.read(offset, out));
  read_ahead_after(*handle, offset, n);
  return n;
}

Result<ReadPieces> FsImpl::read_pieces(FileHandle fh, std::uint64_t offset, std::size_t size) {
  DFS_ASSIGN_OR_RETURN(auto handle, readable_handle(fh));
  std::lock_guard lock(handle->state->mu);
  DFS_ASSIGN_OR_RETURN(ReadPieces read, handle->state->content.read_pieces(offset, size));
  read_ahead_after(*handle, offset, read.size());
  return read;
}

Result<std::size_t> FsImpl::write(FileHandle fh, std::uint64_t offset, ByteView data) {
  DFS_ASSIGN_OR_RETURN(auto handle, find_handle(fh));
  return write_to(*handle, offset, data);
}

Result<std::size_t> FsImpl::write_as(const Caller& caller, FileHandle fh, std::uint64_t offset, ByteView data) {
  DFS_ASSIGN_OR_RETURN(auto handle, find_handle(fh));
  if (handle->uncached && can_write(handle->flags) && handle->state->setid.load()) {
    DFS_TRY(drop_setid_for_write(caller, *handle->state));
  }
  return write_to(*handle, offset, data);
}

// As the kernel's setattr_should_drop_suidgid: nothing for a caller with
// CAP_FSETID; else setuid, and setgid when group-executable or when the
// caller is not in the file's group. A caller whose credentials cannot be
// read (gone, or unknown) is taken as unprivileged.
Status FsImpl::drop_setid_for_write(const Caller& caller, FileState& state) {
  constexpr int kCapFsetid = 4;  // CAP_FSETID, linux/capability.h
  std::optional<ProcessCredentials> creds;
  if (caller.pid != 0) {
    if (auto read = process_credentials(caller.pid); read.ok()) creds = std::move(*read);
  }
  if (creds && creds->has_capability(kCapFsetid)) return {};
  DFS_ASSIGN_OR_RETURN(index::NamespaceTxn txn, backend_.index->begin_namespace());
  DFS_ASSIGN_OR_RETURN(index::InodeAttr inode, txn.get_inode(state.ino));
  std::uint32_t drop = inode.mode & S_ISUID;
  if (inode.mode & S_ISGID) {
    const bool in_group = caller.gid == inode.gid || (creds && creds->in_group(inode.gid));
    if ((inode.mode & S_IXGRP) || !in_group) drop |= S_ISGID;
  }
  if (drop == 0) return {};
  inode.mode &= ~drop;
  inode.ctime_ns = now_ns();
  DFS_TRY(txn.update_inode(inode));
  DFS_TRY(txn.commit());
  state.setid.store((inode.mode & (S_ISUID | S_ISGID)) != 0);
  return {};
}

Result<std::size_t> FsImpl::write_to(Handle& handle, std::uint64_t offset, ByteView data) {
  if (!can_write(handle.flags)) {
    return make_error(Errc::invalid_argument, "a handle of inode " + std::to_string(handle.ino) + " is read-only");
  }
  FileState& state = *handle.state;
  std::lock_guard lock(state.mu);
  if (handle.flags & O_APPEND) offset = state.content.size();
  DFS_TRY(state.content.write(offset, data));
  state.mtime_ns = now_ns();
  return data.size();
}

Status FsImpl::fallocate(FileHandle fh, int mode, std::uint64_t offset, std::uint64_t length) {
  DFS_ASSIGN_OR_RETURN(auto handle, find_handle(fh));
  if (!can_write(handle->flags)) return make_error(Errc::invalid_argument, "handle " + std::to_string(fh) + " is read-only");
  constexpr int kKnown = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE;
  if ((mode & ~kKnown) != 0) return make_error(Errc::not_supported, "fallocate mode " + std::to_string(mode));
  if ((mode & FALLOC_FL_PUNCH_HOLE) && (mode & ~FALLOC_FL_PUNCH_HOLE) != FALLOC_FL_KEEP_SIZE) {
    return make_error(Errc::not_supported, "FALLOC_FL_PUNCH_HOLE needs FALLOC_FL_KEEP_SIZE and nothing else");
  }
  if (length == 0) return make_error(Errc::invalid_argument, "fallocate of an empty range");
  if (offset > kMaxFileSize || length > kMaxFileSize - offset) {
    return make_error(Errc::too_large, "a range past " + std::to_string(kMaxFileSize) + " bytes");
  }
  const std::uint64_t end = offset + length;
  FileState& state = *handle->state;
  std::lock_guard lock(state.mu);
  // Nothing is reserved (space is taken when data is sealed): mode 0 only
  // grows the size, over holes, and KEEP_SIZE does nothing. PUNCH_HOLE and
  // ZERO_RANGE make the range holes where they cover whole chunks.
  if (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) DFS_TRY(state.content.punch(offset, end));
  if (!(mode & FALLOC_FL_KEEP_SIZE) && end > state.content.size()) DFS_TRY(state.content.truncate(end));
  state.mtime_ns = now_ns();
  return {};
}

Result<std::uint64_t> FsImpl::seek_data(FileHandle fh, std::uint64_t offset, bool hole) {
  DFS_ASSIGN_OR_RETURN(auto handle, find_handle(fh));
  std::lock_guard lock(handle->state->mu);
  return handle->state->content.seek(offset, hole);
}

Status FsImpl::flush(FileHandle fh) {
  DFS_ASSIGN_OR_RETURN(auto handle, find_handle(fh));
  std::lock_guard lock(handle->state->mu);
  return commit_locked(*handle->state);
}

Status FsImpl::fsync(FileHandle fh, bool) {
  DFS_ASSIGN_OR_RETURN(auto handle, find_handle(fh));
  VersionStream::Taken streamed;
  std::vector<ChunkId> chunks;
  {
    std::lock_guard lock(handle->state->mu);
    // With no commit interval, a commit makes everything before it durable.
    const bool commit_syncs = options_.commit_interval.count() == 0 && handle->state->content.changed();
    DFS_TRY(commit_locked(*handle->state, &streamed));
    // Else also what earlier closes and namespace changes left to the interval.
    if (!commit_syncs) DFS_TRY(make_durable());
    if (!backend_.network) return {};
    DFS_ASSIGN_OR_RETURN(chunks, handle->state->content.committed_chunks());
  }
  const replicate::ReplicationSummary summary = replicate_committed(std::move(streamed), chunks);
  if (summary.min_confirmed < summary.wanted) {
    log::info("fs: fsync of inode " + std::to_string(handle->ino) + ": " + std::to_string(summary.min_confirmed) +
              " of " + std::to_string(summary.wanted) + " copies confirmed (all the peers there are)");
  }
  return {};
}

// The chunks this commit sealed are on their way in `streamed`: waiting for
// its acknowledgements is all they need. The others (unchanged chunks of
// earlier versions, whose own streams may not have finished) are placed
// from the store.
replicate::ReplicationSummary FsImpl::replicate_committed(VersionStream::Taken streamed, std::vector<ChunkId> chunks) {
  std::optional<replicate::ReplicationSummary> summary;
  if (streamed.stream) summary = streamed.stream->finish();
  std::sort(streamed.sent.begin(), streamed.sent.end());
  std::erase_if(chunks, [&](const ChunkId& id) {
    return std::binary_search(streamed.sent.begin(), streamed.sent.end(), id);
  });
  if (chunks.empty() && summary) return *summary;
  replicate::ReplicationSummary rest = backend_.network->replicate(chunks);
  if (summary) rest.min_confirmed = std::min(rest.min_confirmed, summary->min_confirmed);
  return rest;
}

Status FsImpl::release(FileHandle fh) {
  std::shared_ptr<Handle> handle;
  {
    std::lock_guard lock(mu_);
    auto it = handles_.find(fh);
    if (it == handles_.end()) return bad_handle(fh);
    handle = std::move(it->second);
    handles_.erase(it);
  }
  Status committed;
  {
    std::lock_guard lock(handle->state->mu);
    committed = commit_locked(*handle->state);
  }
  // The inode as the last release read it (to reap it if unlinked) is what
  // a getattr would read now: no second read of the index.
  const std::optional<index::InodeAttr> linked = release_state(handle->ino);
  if (committed.ok()) {
    if (linked) {
      (void)note_stamp(handle->ino, to_attr(*linked), /*at_open=*/false);
    } else {
      (void)note_stamp(handle->ino, /*at_open=*/false);
    }
  }
  return committed;
}

}  // namespace dfs::fs
