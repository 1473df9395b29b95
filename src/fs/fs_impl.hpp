// FsImpl: the FileSystem behind open_filesystem. Split by concern:
//   fs_namespace.cpp  lookup, getattr, setattr, readdir, mkdir, rmdir,
//                     unlink, rename, link, symlink, readlink
//   fs_files.cpp      open-file states, handles, create, open, read, write,
//                     flush, fsync, release, commits
//   fs_xattr.cpp      extended attributes (user.*, user.dfs.id)
//   fs_sharing.cpp    file IDs, directory snapshots, open_shared
//   shared_tree.cpp   open_shared of a directory ID: the whole tree
//   namespace_restore.cpp  restore: an empty namespace rebuilt from a backup
//   fs_lifecycle.cpp  open_filesystem, construction, unmount, statfs
//   fs_durability.cpp the commit interval: make_durable, the flusher
//                     thread, recovery of unsynced versions at open
//
// Locks, in the order they may be taken (never the reverse):
//   SnapshotBuilder::mu_  ->  FileState::mu  ->  FsImpl::mu_  ->  the index's lock (an index call or a
//   NamespaceTxn)  ->  ChunkReader / store locks (leaves)
// A NamespaceTxn is never held while taking FsImpl::mu_ or a FileState::mu.
#pragma once

#include <atomic>
#include <map>
#include <set>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "chunk_reader.hpp"
#include "dfs/fs/dir_streams.hpp"
#include "dfs/util/clock.hpp"
#include "file_content.hpp"
#include "replication_queue.hpp"
#include "snapshot_builder.hpp"

namespace dfs::fs {

// The open state of one regular file, shared by all its handles (and by
// operations on it while no handle is open: truncate, file_id).
struct FileState {
  template <typename... ContentArgs>
  FileState(Ino ino, std::int64_t mtime_ns, ContentArgs&&... content_args)
      : ino(ino), content(std::forward<ContentArgs>(content_args)...), mtime_ns(mtime_ns) {}
  const Ino ino;
  std::mutex mu;         // guards content and mtime_ns
  FileContent content;
  std::int64_t mtime_ns;  // what a commit writes as the file's mtime
  // Set once its last link is gone (reap_if_unlinked): nobody can see its
  // content again, so a commit seals nothing. The commit's transaction
  // checks the link count too; this spares the sealing.
  std::atomic<bool> unlinked{false};
  // Whether its mode has the setuid or setgid bit (kept by setattr while
  // the state is open): what a write through an uncached handle checks.
  std::atomic<bool> setid{false};
};

struct Handle {
  Ino ino = 0;
  int flags = 0;
  std::shared_ptr<FileState> state;
  std::atomic<std::uint64_t> next_offset{0};  // where a sequential read goes next
  bool keeps_cache = false;  // the file was as at its last open or close (set once, at open)
  // Its writes bypass the kernel's page cache (writes_uncached): a create
  // for writing only. Nothing can read or map through such a handle, and
  // the new file has no cached pages to keep coherent.
  bool uncached = false;
};

Attr to_attr(const index::InodeAttr& inode);
Status check_name(std::string_view name);

class FsImpl final : public FileSystem {
 public:
  FsImpl(const Backend& backend, const FsOptions& options);
  ~FsImpl() override;

  Result<Attr> lookup(Ino parent, std::string_view name) override;
  Result<Attr> getattr(Ino ino) override;
  Result<Attr> setattr(const Caller& caller, Ino ino, const SetAttr& changes, std::optional<FileHandle> fh) override;
  Result<std::vector<DirEntry>> readdir(Ino dir) override;
  Result<FileHandle> opendir(Ino dir) override { return dir_streams_.open(dir); }
  Result<std::vector<DirEntry>> readdir_from(FileHandle dh, Ino dir, std::uint64_t offset, std::size_t max) override {
    return dir_streams_.read(dh, dir, offset, max);
  }
  Status releasedir(FileHandle dh) override { return dir_streams_.release(dh); }
  Result<Attr> mkdir(const Caller& caller, Ino parent, std::string_view name, std::uint32_t mode) override;
  Result<Attr> mknod(const Caller& caller, Ino parent, std::string_view name, std::uint32_t mode,
                     std::uint64_t rdev) override;
  Status rmdir(Ino parent, std::string_view name) override;
  Status unlink(Ino parent, std::string_view name) override;
  Status rename(Ino parent, std::string_view name, Ino new_parent, std::string_view new_name,
                unsigned flags) override;
  Result<Attr> link(Ino ino, Ino new_parent, std::string_view new_name) override;
  Result<Attr> symlink(const Caller& caller, std::string_view target, Ino parent, std::string_view name) override;
  Result<std::string> readlink(Ino ino) override;

  Result<std::pair<Attr, FileHandle>> create(const Caller& caller, Ino parent, std::string_view name,
                                             std::uint32_t mode, int flags) override;
  Result<FileHandle> open(Ino ino, int flags) override;
  bool keeps_cache(FileHandle fh) override;
  bool writes_uncached(FileHandle fh) override;
  Result<std::size_t> read(FileHandle fh, std::uint64_t offset, MutableByteView out) override;
  Result<ReadPieces> read_pieces(FileHandle fh, std::uint64_t offset, std::size_t size) override;
  Result<std::size_t> write(FileHandle fh, std::uint64_t offset, ByteView data) override;
  Result<std::size_t> write_as(const Caller& caller, FileHandle fh, std::uint64_t offset, ByteView data) override;
  Status fallocate(FileHandle fh, int mode, std::uint64_t offset, std::uint64_t length) override;
  Result<std::uint64_t> seek_data(FileHandle fh, std::uint64_t offset, bool hole) override;
  Status flush(FileHandle fh) override;
  Status fsync(FileHandle fh, bool datasync) override;
  Status release(FileHandle fh) override;
  Status sync_all() override { return make_durable(); }

  Result<StatFs> statfs() override;

  Status setxattr(Ino ino, std::string_view name, ByteView value, int flags) override;
  Result<Bytes> getxattr(Ino ino, std::string_view name) override;
  Result<std::vector<std::string>> listxattr(Ino ino) override;
  Status removexattr(Ino ino, std::string_view name) override;

  Result<FileId> file_id(Ino ino) override;
  Result<DirectorySnapshot> snapshot(Ino dir, SnapshotScope scope) override;
  Status wait_replicated(std::chrono::milliseconds timeout) override;
  // Directory manifests already stored, by directory_fingerprint: what a
  // restore loaded, so the snapshot after it reuses them.
  using StoredDirectories = std::map<crypto::Digest, store::WrittenManifest>;
  // snapshot(), taking a directory found in `reuse` (may be null) as
  // already sealed and stored rather than sealing it again.
  Result<DirectorySnapshot> snapshot_reusing(Ino dir, SnapshotScope scope, const StoredDirectories* reuse);
  Result<RestoreSummary> restore(const FileId& root) override;
  Result<Attr> open_shared(const Caller& caller, const FileId& id, Ino parent, std::string_view name) override;

  // Deletes the inodes a crash left with nlink 0.
  Status reap_orphans();
  // Rolls back each unsynced version whose chunks are not all in the local
  // store (a power loss), then makes the index durable. At open, before
  // any other call.
  Status recover_unsynced_versions();
  // Starts the thread that makes commits durable every commit_interval.
  void start_flusher();

 private:
  // --- open-file states (fs_files.cpp) ---
  // The state of `ino`, made from the index (or from `known`, the inode as
  // the caller just wrote it) if none is open; counts a user.
  Result<std::shared_ptr<FileState>> acquire_state(Ino ino, const index::InodeAttr* known = nullptr);
  // Drops a user; the last one removes the state and reaps the inode if it
  // was unlinked meanwhile. Returns the inode as it read it then if it is
  // still linked (nullopt if it read nothing: other users remain).
  std::optional<index::InodeAttr> release_state(Ino ino);
  // The state of `ino` if one is open (no user counted).
  std::shared_ptr<FileState> find_state(Ino ino);
  Result<std::shared_ptr<Handle>> find_handle(FileHandle fh);
  Result<FileHandle> add_handle(Ino ino, int flags, std::shared_ptr<FileState> state);
  Result<std::size_t> write_to(Handle& handle, std::uint64_t offset, ByteView data);
  // Clears what a write by `caller` clears of the file's setuid and
  // setgid bits (FileSystem::write_as).
  Status drop_setid_for_write(const Caller& caller, FileState& state);
  // The handle `fh` if it was opened for reading.
  Result<std::shared_ptr<Handle>> readable_handle(FileHandle fh);
  // After a read of `n` bytes at `offset` (the state's lock held): starts
  // the read-ahead of the chunks that follow if the handle reads in order.
  void read_ahead_after(Handle& handle, std::uint64_t offset, std::size_t n);
  // Seals, stores and commits the state's changes; state.mu held. The
  // chunks the version sealed are already streaming to the peers; their
  // stream is handed to `replication` if set (fsync waits for it), else
  // queued to finish in the background (close).
  Status commit_locked(FileState& state, VersionStream::Taken* replication = nullptr);
  // Points the inode at `version` in one transaction; false, with nothing
  // written, if its last link went meanwhile.
  Result<bool> commit_version(FileState& state, const NewVersion& version);
  // fsync's wait for R copies of the committed `chunks`.
  replicate::ReplicationSummary replicate_committed(VersionStream::Taken streamed, std::vector<ChunkId> chunks);
  // Deletes `ino` if nothing links it and no state is open on it; marks
  // an open state `unlinked` (its last release reaps it). If `linked` is
  // set and no state is open, the inode as read when still linked.
  Status reap_if_unlinked(Ino ino, std::optional<index::InodeAttr>* linked = nullptr);
  // The attributes with the open, uncommitted size and mtime of the file.
  Attr with_open_state(const index::InodeAttr& inode);
  // Notes the file's size and mtime at an open or a release; at an open,
  // whether they are those of the last note (the cached pages are valid).
  bool note_stamp(Ino ino, bool at_open);
  bool note_stamp(Ino ino, const Attr& attr, bool at_open);

  // --- durability (fs_durability.cpp) ---
  // Makes every commit so far durable: the store, then the index.
  Status make_durable();
  void run_flusher();
  void stop_flusher();
  // Whether every chunk of the version is in the local store and whole.
  bool stored_whole(const ChunkId& head, const index::FileKey& key);

  // --- xattrs (fs_xattr.cpp) ---
  Status set_id_attr(Ino ino, ByteView value, int flags);

  // --- shared trees (shared_tree.cpp) ---
  struct SharedTree;
  // What the first pass learned of each distinct snapshot in the tree: a
  // hostile tree may name one snapshot under many names and many levels, so
  // each is fetched and measured once, and the bounds apply to the tree as
  // it would be placed.
  struct TreeBudget {
    struct Known {
      Directory directory;
      std::uint64_t placed = 0;  // entries its tree would place, repeats counted
      std::size_t height = 0;    // directories below it on its deepest path
      FileId id;                 // the directory ID it was loaded by
      std::vector<ChunkId> segments;  // its manifest's chunks, head first
    };
    std::map<ChunkId, Known> known;
    std::set<ChunkId> ancestors;  // the snapshots on the path being measured
  };
  // First pass: fetches each distinct snapshot of the tree `id` names once
  // and checks the bounds (see the .cpp) before anything is placed.
  Result<const TreeBudget::Known*> measure_shared_tree(const FileId& id, const std::string& where, std::size_t depth,
                                                       TreeBudget& budget);
  // Second pass: the measured tree with its files' manifests.
  Result<SharedTree> load_shared_tree(const FileId& id, const std::string& where, TreeBudget& budget);
  Result<Attr> open_shared_tree(const Caller& caller, const FileId& id, Ino parent, std::string_view name);
  Status place_tree_entries(const Caller& caller, const SharedTree& tree, Ino dir);
  // A shared file at parent/name with the given permission bits (and
  // mtime; else now), its version recorded so GC and leases keep it.
  Result<Attr> place_shared_file(const Caller& caller, const FileId& id, const Manifest& manifest, Ino parent,
                                 std::string_view name, std::uint32_t mode, std::optional<std::int64_t> mtime_ns);
  // The opened pack a packed entry names (chunk/directory.hpp), through the reader.
  Result<Bytes> fetch_pack(const PackedRef& ref);
  // Each pack the directory's packed files name opens and holds them all.
  Status check_packs(const Directory& directory, const std::string& where);
  // A packed file placed as an ordinary file, written through create,
  // write and release like any file (a pack is no File ID an inode can
  // point at); then given the sharer's mtime.
  Result<Attr> place_packed_file(const Caller& caller, ByteView bytes, Ino parent, std::string_view name,
                                 std::uint32_t mode, Timespec mtime);

  // --- restoring a namespace backup (namespace_restore.cpp) ---
  struct Restore;
  // The manifests of every file the measured tree names, fetched in parallel.
  Result<std::map<ChunkId, Manifest>> restore_manifests(const TreeBudget& budget);
  // Creates `directory`'s entries under `dir` in the restore's transaction;
  // returns how many are directories (for `dir`'s link count).
  Result<std::uint64_t> restore_entries(Restore& restore, const Directory& directory, Ino dir);
  Status restore_entry(Restore& restore, const dfs::DirEntry& e, Ino dir, std::uint64_t& subdirs);
  // The root's own attributes, from a snapshot that has them (format 4).
  Status restore_root(Restore& restore, const std::optional<DirSelf>& self, std::uint64_t subdirs);
  // Fills the snapshot builder's cache from the restored snapshot, so the
  // next namespace snapshot seals nothing the restore did not change.
  void seed_snapshot_cache(const TreeBudget& budget);

  // --- namespace helpers (fs_namespace.cpp) ---
  Status rename_locked(index::NamespaceTxn& txn, Ino parent, const std::string& name, Ino new_parent,
                       const std::string& new_name, unsigned flags, std::vector<Ino>& unlinked);
  // Creates parent/name owned by `caller`, its times now (its mtime
  // `mtime_ns` if set: a shared tree keeps the sharer's).
  Result<Attr> make_node(const Caller& caller, Ino parent, std::string_view name, index::InodeAttr inode,
                         std::optional<std::int64_t> mtime_ns = std::nullopt);
  // The same, returning the inode as its transaction wrote it.
  Result<index::InodeAttr> make_inode(const Caller& caller, Ino parent, std::string_view name, index::InodeAttr inode,
                                      std::optional<std::int64_t> mtime_ns = std::nullopt);

  const Backend backend_;
  const FsOptions options_;
  MemoryBudget budget_;
  ChunkReader reader_;

  // What a file's size and mtime were at its last open or close here.
  struct Stamp {
    std::uint64_t size = 0;
    Timespec mtime;
    bool operator==(const Stamp&) const = default;
  };

  // Guards states_, handles_, next_fh_ and stamps_.
  std::mutex mu_;
  struct OpenState {
    std::shared_ptr<FileState> state;
    std::size_t users = 0;
  };
  std::unordered_map<Ino, OpenState> states_;
  std::unordered_map<FileHandle, std::shared_ptr<Handle>> handles_;
  FileHandle next_fh_ = 1;
  DirStreams dir_streams_{*this};
  std::unordered_map<Ino, Stamp> stamps_;

  // Directory snapshots and their cache (a lock of its own, taken first).
  SnapshotBuilder snapshots_;

  // The flusher: wakes every commit_interval, or when stop_ is set.
  std::mutex flusher_mu_;
  std::condition_variable flusher_wake_;
  bool flusher_stop_ = false;  // guarded by flusher_mu_
  std::thread flusher_;

  // With a network: replication queued on close. Declared last, so it is
  // drained (within its bound) after ~FsImpl committed the open files.
  std::unique_ptr<ReplicationQueue> replication_;
};

}  // namespace dfs::fs
