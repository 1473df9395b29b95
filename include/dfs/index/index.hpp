// The local index of a peer (DESIGN.md §3, §5): the files this peer put,
// which chunks each of them references (so GC and lease renewal know what
// to keep), pins, and the filesystem namespace of the mount. The schema
// also has a peers table; its API comes with the P2P work.
// Tables and columns: see src/index/schema.cpp.
//
// It is one SQLite file in WAL mode (see sqlite.hpp for why WAL and why
// synchronous=FULL). It holds file keys: it is the owner's private metadata
// and is created readable by its owner only (0600).
//
// All methods are thread-safe. Each runs under one mutex that guards the
// single connection, and each method that writes does so in one
// transaction: after a crash the index shows all of a call or none of it.
// Opened shared, other connections (and processes) may open the same file;
// SQLite's locks and the busy timeout serialize them. Opened exclusive (a
// peer's data directory, which one process holds at a time anyway), no
// other connection can read it while this one is open.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "dfs/chunk/chunk_id.hpp"
#include "dfs/crypto/crypto.hpp"
#include "dfs/index/sqlite.hpp"
#include "dfs/util/result.hpp"

namespace dfs::index {


using FileKey = std::array<std::uint8_t, crypto::kKeySize>;

// A file put by this peer: its manifest (the file ID's first half), key and
// the figures `dfs status` and listings show without reading the manifest.
struct FileRecord {
  ChunkId manifest;
  FileKey key{};
  std::string name;
  std::uint64_t size = 0;        // plaintext bytes; at most INT64_MAX
  std::uint32_t chunk_size = 0;  // > 0
  std::uint64_t chunk_count = 0;
  std::int64_t added_at_unix = 0;  // seconds since the epoch
  // A directory tree put by dfs put -r (schema v6): `manifest` and `key`
  // name its root snapshot, `size` is the total of its files, and its
  // references cover every chunk of the tree.
  bool is_directory = false;
  // Read only (ignored by record_file): a version the mount's namespace
  // recorded (NamespaceTxn::record_version), not a put.
  bool from_mount = false;

  bool operator==(const FileRecord&) const = default;
};

// The inode of the root directory of the mount; created with the schema as
// a directory with mode 0755 owned by the user who created the index.
inline constexpr std::uint64_t kRootIno = 1;

// An inode of the mount's namespace. Which fields mean what (nlink rules,
// when times change) is the filesystem layer's business; the index stores
// them faithfully. Integers must fit in an int64 (Errc::invalid_argument).
struct InodeAttr {
  std::uint64_t ino = 0;  // assigned by create_inode; ignored on input
  std::uint32_t mode = 0;  // file type and permission bits, as st_mode
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::uint64_t nlink = 0;
  std::uint64_t size = 0;
  std::int64_t atime_ns = 0;  // nanoseconds since the epoch
  std::int64_t mtime_ns = 0;
  std::int64_t ctime_ns = 0;
  std::uint64_t rdev = 0;
  // A regular file's content: both set, or both empty (an empty file).
  std::optional<ChunkId> manifest;
  std::optional<FileKey> file_key;
  std::optional<std::string> symlink_target;
  std::uint64_t generation = 0;
  // The plaintext bytes a regular file's chunks hold, holes not counted
  // (st_blocks); unset when not known (counted as the size).
  std::optional<std::uint64_t> stored_bytes;

  bool operator==(const InodeAttr&) const = default;
};

struct DirEntry {
  std::string name;
  std::uint64_t ino = 0;
  std::uint32_t mode = 0;  // the child's st_mode, so readdir can give d_type

  bool operator==(const DirEntry&) const = default;
};

// A content commit whose durability is deferred (schema v4): the version
// an inode now points at, and what it pointed at before, to go back to if
// a power loss kept the index commit but not the version's chunks.
struct UnsyncedVersion {
  std::uint64_t seq = 0;  // commit order; assigned by the index
  std::uint64_t ino = 0;
  ChunkId manifest;
  // The previous content: both set, or both empty (an empty file).
  std::optional<ChunkId> previous_manifest;
  std::optional<FileKey> previous_key;
  std::uint64_t previous_size = 0;
  std::int64_t previous_mtime_ns = 0;

  bool operator==(const UnsyncedVersion&) const = default;
};

// A directory's child with its inode (and, if asked, its xattrs), for the
// snapshot builder (fs/snapshot_builder.hpp).
struct Child {
  std::string name;
  InodeAttr attr;
  std::vector<std::pair<std::string, Bytes>> xattrs;  // by name; only if asked for
};

// The cached snapshot of one directory (schema v8), for the snapshot
// builder: the directory manifest sealed for the directory's entries as
// they were when `fingerprint` (a digest of that plaintext) was taken. Its
// segments are kept from GC, and their leases renewed, while the row lives;
// the row goes with its inode.
struct DirSnapshotRecord {
  std::uint64_t ino = 0;
  std::uint8_t scope = 0;  // which kind of snapshot (the builder's scopes)
  std::array<std::uint8_t, crypto::kDigestSize> fingerprint{};
  ChunkId manifest;  // the head segment: the directory ID's first half
  FileKey key{};
  std::uint64_t size = 0;   // bytes of the files beneath
  std::uint64_t files = 0;  // files beneath
  std::vector<ChunkId> segments;  // every segment; empty as find_dir_snapshot returns it

  bool operator==(const DirSnapshotRecord&) const = default;
};

class Index;

// How set_xattr treats an existing attribute (setxattr(2)'s flags).
enum class XattrMode { create_or_replace, create_only, replace_only };

// A write transaction over the namespace, for the filesystem layer: every
// POSIX operation (rename, unlink, a content commit...) is one NamespaceTxn,
// so after a crash the index shows all of it or none of it. It holds the
// Index's lock from begin_namespace() until it is committed or destroyed
// (destroying it uncommitted rolls back): keep it short, never wait on
// anything else (a lock, a future, the network) while holding one, and
// never call the Index (or begin another) on the same thread before it is
// committed or destroyed, or the thread deadlocks. commit() releases the
// lock; the object is then spent.
// Its commit is deferred (Transaction::Durability::deferred): it survives
// the process dying at once, and a power loss once Index::make_durable has
// run, as a local filesystem's metadata does once its journal commits.
// Each method fails as the Index method of the same name documents.
class NamespaceTxn {
 public:
  NamespaceTxn(NamespaceTxn&&) noexcept;
  NamespaceTxn& operator=(NamespaceTxn&&) noexcept;
  ~NamespaceTxn();

  Result<InodeAttr> get_inode(std::uint64_t ino);
  Result<std::optional<std::uint64_t>> lookup(std::uint64_t parent, const std::string& name);
  Result<std::uint64_t> create_inode(const InodeAttr& attr);
  Status add_entry(std::uint64_t parent, const std::string& name, std::uint64_t ino);
  // Errc::not_found if there is no such entry. Does not touch nlink.
  Status remove_entry(std::uint64_t parent, const std::string& name);
  // Writes every field of `attr` to inode attr.ino (not_found if absent).
  Status update_inode(const InodeAttr& attr);
  // Deletes an inode no entry names any more, with its xattrs.
  // Errc::invalid_argument if an entry still names it (or it is a
  // directory with entries), not_found if absent.
  Status delete_inode(std::uint64_t ino);
  // Whether directory `dir` has any entry.
  Result<bool> has_entries(std::uint64_t dir);
  // The directory holding an entry for `ino` (for a directory: its only
  // parent), or nullopt (the root, or an unlinked inode).
  Result<std::optional<std::uint64_t>> parent_of(std::uint64_t ino);
  // Some name of `ino` (the first by parent and name), for listings.
  Result<std::optional<std::string>> some_name(std::uint64_t ino);
  // Inodes with nlink 0: files unlinked while open, left by a crash.
  Result<std::vector<std::uint64_t>> orphans();
  Result<std::uint64_t> inode_count();

  // Extended attributes of an inode. set: already_exists (create_only) or
  // not_found (replace_only); get: nullopt if absent; remove: false if
  // absent. Names must be non-empty.
  Status set_xattr(std::uint64_t ino, const std::string& name, ByteView value, XattrMode mode);
  Result<std::optional<Bytes>> get_xattr(std::uint64_t ino, const std::string& name);
  Result<std::vector<std::string>> list_xattrs(std::uint64_t ino);
  Result<bool> remove_xattr(std::uint64_t ino, const std::string& name);

  // A file version the namespace points at (schema v2): records `file`
  // with its references if no file with that manifest is recorded yet,
  // and marks it as the namespace's own, so release_version may forget it.
  // A file already recorded (e.g. by dfs put) is left as it is.
  Status record_version(const FileRecord& file, const std::vector<ChunkId>& referenced);
  // Forgets a version recorded by record_version once no inode points at
  // it and it is not pinned (GC may then collect its chunks); otherwise,
  // and for files the namespace did not record, does nothing.
  Status release_version(const ChunkId& manifest);
  // Notes that `version.ino` now points at `version.manifest` by a commit
  // whose chunks are not synced yet. In place of release_version on the
  // previous version: that one stays recorded until make_durable settles
  // the note, or recovery goes back to it.
  Status record_unsynced_version(const UnsyncedVersion& version);

  Status commit();

 private:
  friend class Index;
  NamespaceTxn(std::unique_lock<std::mutex> lock, Database& db, std::atomic<bool>& unsynced,
               std::atomic<std::uint64_t>& changes);

  // Declared first, so released last: after the transaction is over.
  std::unique_lock<std::mutex> lock_;
  Database* db_;
  std::atomic<bool>* unsynced_;  // the Index's flag, raised by commit()
  std::atomic<std::uint64_t>* changes_;  // the Index's count, bumped by commit()
  std::unique_ptr<Transaction> tx_;
};

class Index {
 public:
  // Opens the index at `path`, creating it (mode 0600) if absent, and
  // migrates it to kSchemaVersion. The directory must exist. Fails with
  // Errc::bad_version if the file was written by a newer dfs.
  static Result<std::unique_ptr<Index>> open(const std::string& path,
                                             Database::Sharing sharing = Database::Sharing::shared);

  ~Index();
  Index(const Index&) = delete;
  Index& operator=(const Index&) = delete;

  // --- Files and chunk references -------------------------------------

  // In one transaction: inserts or replaces the file's row and makes its
  // references exactly `referenced` (data chunks and the manifest's own
  // chunks; duplicates are fine). A pin on the file is kept. The files row
  // itself keeps its manifest chunk (file.manifest): no chunk_refs row
  // names it (schema v11, one B-tree leaf fewer per version).
  Status record_file(const FileRecord& file, const std::vector<ChunkId>& referenced);
  // All files, oldest first (then by manifest ID).
  Result<std::vector<FileRecord>> list_files();
  Result<std::optional<FileRecord>> find_file(const ChunkId& manifest);
  // Removes the file, its references and its pin; Errc::not_found if absent.
  Status forget_file(const ChunkId& manifest);
  // dfs rm: forgets an item put on this peer, in one transaction. If an
  // inode of the mount points at it (a file placed by dfs open), the row
  // is handed to the namespace instead (as if record_version had made
  // it), which forgets it once no inode points at it any more.
  Status forget_put(const ChunkId& manifest);

  // Whether any recorded file references `chunk` (or is the file whose
  // manifest it is).
  Result<bool> is_referenced(const ChunkId& chunk);
  // Namespace snapshots kept (issue 15, schema v9): from now on, chunks the
  // namespace lets go of (file versions, backup directory manifests) stay
  // referenced until the oldest snapshot kept was taken after they were
  // let go; `oldest_taken_at` (Unix seconds; nullopt: none published yet,
  // keep all) drops those let go before it. Returns how many it dropped.
  Result<std::uint64_t> retain_snapshots(std::optional<std::int64_t> oldest_taken_at);
  // No snapshots kept: chunks let go of are unreferenced at once again.
  Status stop_retaining_snapshots();
  // The candidates no file references, in the candidates' order, for GC.
  // Read as one snapshot. The caller must make sure no file that references
  // a returned chunk gets recorded before it deletes the chunk (record a
  // file only after its chunks are stored, and collect under the same lock
  // or grace period as puts).
  Result<std::vector<ChunkId>> unreferenced(const std::vector<ChunkId>& candidates);
  // Distinct chunks referenced by at least one file.
  Result<std::uint64_t> referenced_chunk_count();
  // Every distinct chunk referenced by at least one file: what the owner
  // renews leases on.
  Result<std::vector<ChunkId>> referenced_chunks();

  // --- Leases and GC (DESIGN.md §4) ----------------------------------------

  // In one transaction, makes the lease of each chunk last at least until
  // `expires_at_unix` (a later expiry already recorded is kept). Meant to be
  // called with many chunks at once: one transaction per chunk would cost
  // a sync each on the receive path.
  Status extend_leases(const std::vector<ChunkId>& chunks, std::int64_t expires_at_unix);
  // The same for chunks another peer put here, recording who put each
  // (`placer`, a node ID; none keeps the one recorded) and its lease key
  // (`placer_key`, replicate/keyed_renewal.hpp; the first one recorded is
  // kept, so a later PUT of the same bytes by a stranger cannot take the
  // lease from the owner's key): that peer, or a renewal signed by that
  // key, may renew the lease later; an arbitrary peer may not.
  using Key32 = std::array<std::uint8_t, 32>;
  struct LeaseGrant {
    ChunkId chunk;
    std::optional<Key32> placer;
    std::optional<Key32> placer_key = std::nullopt;
  };
  Status extend_leases(const std::vector<LeaseGrant>& grants, std::int64_t expires_at_unix);
  // Extends, until `expires_at_unix`, the leases of those of `chunks` that
  // `placer` put here; the others are left as they are. With `placer_key`,
  // records it as their placer's key where none is (a placer that got its
  // recovery key after placing them).
  Status renew_leases_placed_by(const std::vector<ChunkId>& chunks, const Key32& placer, std::int64_t expires_at_unix,
                                const std::optional<Key32>& placer_key = std::nullopt);
  // Extends, until `expires_at_unix`, the leases of those of `chunks`
  // recorded with `placer_key` (a keyed renewal the caller verified).
  Status renew_leases_keyed(const std::vector<ChunkId>& chunks, const Key32& placer_key, std::int64_t expires_at_unix);
  // The lease key recorded with the lease of `chunk` (its placer's);
  // nullopt if it has no lease or none with a key.
  Result<std::optional<Key32>> lease_placer_key(const ChunkId& chunk);
  // Whether a lease holds `chunk` at `now_unix`.
  Result<bool> is_leased(const ChunkId& chunk, std::int64_t now_unix);
  // The lease recorded on `chunk`, or nullopt.
  struct LeaseRow {
    std::int64_t expires_at = 0;  // Unix seconds
    std::optional<Key32> placer_key;
  };
  Result<std::optional<LeaseRow>> lease_of(const ChunkId& chunk);
  // The candidates GC may delete at `now_unix`: no file references them and
  // no lease holds them (a lease ending at or before now no longer holds).
  // In the candidates' order, read as one snapshot; the same caveat as
  // unreferenced() applies.
  Result<std::vector<ChunkId>> collectable(const std::vector<ChunkId>& candidates, std::int64_t now_unix);
  // Deletes the leases that ended at or before `now_unix`; returns how many.
  Result<std::uint64_t> drop_expired_leases(std::int64_t now_unix);
  // Whether the chunks stored before this index had leases (schema v3)
  // still need theirs; the node then leases them and calls
  // leases_granted(), after which this is false.
  Result<bool> leases_to_grant();
  Status leases_granted();

  // Pins or unpins a recorded file (idempotent); Errc::not_found if the
  // file is not recorded.
  Status set_pinned(const ChunkId& manifest, bool pinned);
  // Errc::not_found if the file is not recorded.
  Result<bool> is_pinned(const ChunkId& manifest);

  // --- Namespace (the mount's filesystem tree) --------------------------

  // Errc::not_found if there is no such inode.
  Result<InodeAttr> get_inode(std::uint64_t ino);
  // The inode `name` in directory `parent` names, or nullopt.
  Result<std::optional<std::uint64_t>> lookup(std::uint64_t parent, const std::string& name);
  // Stores a new inode (attr.ino is ignored) and returns its number.
  // Numbers are never reused, even after the inode is deleted.
  Result<std::uint64_t> create_inode(const InodeAttr& attr);
  // Links `ino` as `name` in directory `parent`. Does not touch nlink (the
  // filesystem layer owns link counts). Errors: not_found (no such parent
  // or inode), invalid_argument (parent is not a directory, or the name is
  // empty, ".", "..", or contains '/' or NUL), too_large (name longer than
  // 255 bytes, NAME_MAX), already_exists (the name is taken).
  Status add_entry(std::uint64_t parent, const std::string& name, std::uint64_t ino);
  // The entries of a directory, by name (byte order). Errc::not_found if
  // `parent` does not exist, invalid_argument if it is not a directory.
  Result<std::vector<DirEntry>> list_dir(std::uint64_t parent);

  // The children of a directory with their inodes, by name, in one read;
  // with each child's xattrs if `with_xattrs`. Errors as list_dir.
  Result<std::vector<Child>> list_children(std::uint64_t parent, bool with_xattrs);
  // The xattrs of one inode, by name (a namespace snapshot's root).
  Result<std::vector<std::pair<std::string, Bytes>>> xattrs_of(std::uint64_t ino);

  // Begins a namespace write transaction (see NamespaceTxn).
  Result<NamespaceTxn> begin_namespace();
  // How many namespace transactions have committed since the index was
  // opened: unchanged means the namespace is as it was (the snapshot
  // builder's fast path).
  std::uint64_t namespace_changes() const { return namespace_changes_.load(); }

  // --- Directory snapshots (schema v8) -------------------------------------

  // The cached snapshot of (ino, scope), without its segments, or nullopt.
  Result<std::optional<DirSnapshotRecord>> find_dir_snapshot(std::uint64_t ino, std::uint8_t scope);
  // Stores `record` in place of any earlier one of (ino, scope), in one
  // transaction: the earlier one's segments are no longer kept. not_found
  // if the inode is gone. Not a namespace change.
  Status save_dir_snapshot(const DirSnapshotRecord& record);

  // --- Durability of namespace commits (schema v4) ------------------------

  // Whether a namespace commit may not be durable yet.
  bool has_unsynced_changes() const { return unsynced_.load(); }
  // Makes every namespace commit made before the call durable: calls
  // `sync_chunks` (which must make every chunk stored so far durable, e.g.
  // ChunkStore::sync), then, in one synced transaction, settles the
  // unsynced versions noted before the call (releasing the versions they
  // replaced) and fsyncs the WAL. The index's lock is not held while
  // `sync_chunks` runs. Thread-safe; concurrent calls are fine.
  Status make_durable(const std::function<Status()>& sync_chunks);
  // The unsynced versions, oldest first: what recovery checks at mount.
  Result<std::vector<UnsyncedVersion>> unsynced_versions();

 private:
  explicit Index(std::unique_ptr<Database> db);
  // The candidates for which `probe` (bound ?1 = chunk ID, ?2 = `now`)
  // returns no row, judged in one read transaction. mu_ held.
  Result<std::vector<ChunkId>> without_rows(std::string_view probe, const std::vector<ChunkId>& candidates,
                                            std::int64_t now);
  // One lease renewal statement per chunk, in one transaction (retention.cpp).
  Status renew_each(const char* sql, const std::vector<ChunkId>& chunks, std::int64_t expires_at_unix,
                    const std::optional<Key32>& extra, const Key32& who);

  // Guards db_ and every statement on it: SQLite connections are not
  // shareable between threads (opened without SQLite's own mutex).
  std::mutex mu_;
  std::unique_ptr<Database> db_;
  // Raised by every namespace commit, lowered as make_durable starts.
  std::atomic<bool> unsynced_{false};
  // Bumped by every namespace commit (namespace_changes()).
  std::atomic<std::uint64_t> namespace_changes_{0};
};

}  // namespace dfs::index
