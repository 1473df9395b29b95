// FsImpl: restore, an empty namespace rebuilt from a namespace backup
// (issue 15, dfsmount --recover).
//
// The tree is loaded and checked as a shared tree is (shared_tree.cpp:
// each distinct directory manifest fetched once, authenticated, decoded,
// bounded in depth and entries, no directory inside itself), then every
// file's manifest is fetched (in parallel: a recovery of thousands of files
// over the network is bound by round trips) and must have the size its
// entry says. Only then is anything written, in one index transaction, so
// a failed recovery leaves the namespace empty, as it was.
//
// Unlike a shared tree, a backup carries the owner's metadata: owners,
// atimes, xattrs, device numbers, and link numbers that make entries of one
// inode hard links again. Entries without it (a backup's entry always has
// an owner; a shared tree's has none) get the mount's user as owner. The
// root's own attributes come from the snapshot's self block (format 4;
// older snapshots have none and leave the root as the mount made it).
//
// Afterwards the snapshot builder's cache is filled from the manifests just
// loaded (seed_snapshot_cache), so the recovered mount's first snapshot
// neither fetches nor seals again what it restored, and the index names
// those manifests: they are kept from GC and their leases renewed.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "dfs/chunk/directory.hpp"
#include "dfs/fs/id_directory.hpp"
#include "dfs/util/log.hpp"
#include "fs_impl.hpp"

namespace dfs::fs {

struct FsImpl::Restore {
  index::NamespaceTxn& txn;
  const TreeBudget& budget;
  const std::map<ChunkId, Manifest>& manifests;
  std::map<std::uint64_t, Ino> links;  // a backup's link number -> the inode made for it
  std::int64_t now = 0;
  RestoreSummary summary;
};

namespace {

// Manifest fetches in flight: enough to hide a round trip each.
constexpr std::size_t kManifestFetchers = 16;

std::int64_t nanoseconds(std::int64_t seconds, std::uint32_t nanos) {
  return seconds * 1'000'000'000 + static_cast<std::int64_t>(nanos);
}

Error at(Error error, const std::string& name) {
  error.message = "recovering \"" + name + "\": " + error.message;
  return error;
}

}  // namespace

Result<std::map<ChunkId, Manifest>> FsImpl::restore_manifests(const TreeBudget& budget) {
  std::vector<std::pair<const dfs::DirEntry*, Result<Manifest>>> files;
  std::set<ChunkId> seen;
  for (const auto& [id, known] : budget.known) {
    for (const dfs::DirEntry& e : known.directory.entries) {
      if (e.type == EntryType::file && seen.insert(e.id->manifest).second) {
        files.emplace_back(&e, make_error(Errc::unavailable, "not fetched"));
      }
    }
  }
  std::atomic<std::size_t> next{0};
  auto fetch = [&] {
    for (std::size_t i; (i = next++) < files.size();) {
      const FileId& id = *files[i].first->id;
      files[i].second = reader_.manifest(id.key, id.manifest);
    }
  };
  std::vector<std::thread> fetchers;
  for (std::size_t i = 0; i < std::min(kManifestFetchers, files.size()); ++i) fetchers.emplace_back(fetch);
  for (std::thread& t : fetchers) t.join();
  std::map<ChunkId, Manifest> manifests;
  for (auto& [entry, manifest] : files) {
    if (!manifest.ok()) return at(manifest.take_error(), entry->name);
    if (manifest->file_size != entry->size) {
      return at(make_error(Errc::corrupt, "the entry says " + std::to_string(entry->size) + " bytes, its file has " +
                                              std::to_string(manifest->file_size)),
                entry->name);
    }
    manifests.emplace(entry->id->manifest, std::move(*manifest));
  }
  return manifests;
}

Status FsImpl::restore_entry(Restore& r, const dfs::DirEntry& e, Ino dir, std::uint64_t& subdirs) {
  if (e.type == EntryType::file && e.link) {
    if (auto linked = r.links.find(*e.link); linked != r.links.end()) {
      DFS_ASSIGN_OR_RETURN(index::InodeAttr inode, r.txn.get_inode(linked->second));
      if (inode.manifest != e.id->manifest) {
        return make_error(Errc::corrupt, "two names of one inode with different contents");
      }
      ++inode.nlink;
      DFS_TRY(r.txn.update_inode(inode));
      return r.txn.add_entry(dir, e.name, inode.ino);
    }
  }
  index::InodeAttr inode;
  inode.mode = mode_bits_of(e.type) | (e.mode & 07777);
  inode.uid = e.owner ? e.owner->uid : ::getuid();
  inode.gid = e.owner ? e.owner->gid : ::getgid();
  inode.nlink = e.type == EntryType::directory ? 2 : 1;
  inode.mtime_ns = nanoseconds(e.mtime_seconds, e.mtime_nanoseconds);
  inode.atime_ns = e.atime ? nanoseconds(e.atime->seconds, e.atime->nanoseconds) : inode.mtime_ns;
  inode.ctime_ns = r.now;
  inode.rdev = e.rdev.value_or(0);
  const Manifest* manifest = nullptr;
  switch (e.type) {
    case EntryType::file:
      manifest = &r.manifests.at(e.id->manifest);
      inode.size = e.size;
      inode.manifest = e.id->manifest;
      inode.file_key = e.id->key.bytes();
      inode.stored_bytes = manifest->stored_bytes();
      r.summary.files += 1;
      r.summary.bytes += e.size;
      break;
    case EntryType::symlink:
      inode.mode = S_IFLNK | 0777;
      inode.size = e.target.size();
      inode.symlink_target = e.target;
      r.summary.others += 1;
      break;
    case EntryType::directory:
      r.summary.directories += 1;
      ++subdirs;
      break;
    default:
      r.summary.others += 1;
      break;
  }
  DFS_ASSIGN_OR_RETURN(inode.ino, r.txn.create_inode(inode));
  DFS_TRY(r.txn.add_entry(dir, e.name, inode.ino));
  for (const EntryXattr& x : e.xattrs) {
    DFS_TRY(r.txn.set_xattr(inode.ino, x.name, x.value, index::XattrMode::create_only));
  }
  if (manifest != nullptr) {
    if (e.link) r.links.emplace(*e.link, inode.ino);
    std::vector<ChunkId> referenced{e.id->manifest};
    for (const ChunkId& chunk : manifest->stored_ids()) referenced.push_back(chunk);
    index::FileRecord record{e.id->manifest, e.id->key.bytes(), e.name, manifest->file_size, manifest->chunk_size,
                             manifest->chunk_count(), r.now / 1'000'000'000};
    DFS_TRY(r.txn.record_version(record, referenced));
  }
  if (e.type == EntryType::directory) {
    DFS_ASSIGN_OR_RETURN(std::uint64_t below,
                         restore_entries(r, r.budget.known.at(e.id->manifest).directory, inode.ino));
    inode.nlink = 2 + below;
    DFS_TRY(r.txn.update_inode(inode));
  }
  return {};
}

Result<std::uint64_t> FsImpl::restore_entries(Restore& r, const Directory& directory, Ino dir) {
  std::uint64_t subdirs = 0;
  for (const dfs::DirEntry& e : directory.entries) {
    if (dir == kRootIno && e.name == kDotDfsName) continue;  // the mount's own name
    Status restored = restore_entry(r, e, dir, subdirs);
    if (!restored.ok()) {
      Error error = restored.take_error();
      return error.message.rfind("recovering", 0) == 0 ? error : at(std::move(error), e.name);
    }
  }
  return subdirs;
}

Result<RestoreSummary> FsImpl::restore(const FileId& root) {
  if (!root.is_directory()) return make_error(Errc::invalid_argument, "a namespace is restored from a directory ID");
  {
    DFS_ASSIGN_OR_RETURN(index::NamespaceTxn txn, backend_.index->begin_namespace());
    DFS_ASSIGN_OR_RETURN(bool used, txn.has_entries(kRootIno));
    if (used) return make_error(Errc::already_exists, "the namespace is not empty: recover on a new data directory");
  }
  TreeBudget budget;
  DFS_TRY(measure_shared_tree(root, "", 0, budget));
  DFS_ASSIGN_OR_RETURN(auto manifests, restore_manifests(budget));
  DFS_ASSIGN_OR_RETURN(index::NamespaceTxn txn, backend_.index->begin_namespace());
  Restore r{txn, budget, manifests, {}, now_ns(), {}};
  const Directory& top = budget.known.at(root.manifest).directory;
  DFS_ASSIGN_OR_RETURN(std::uint64_t subdirs, restore_entries(r, top, kRootIno));
  DFS_TRY(restore_root(r, top.self, subdirs));
  DFS_TRY(txn.commit());
  DFS_TRY(make_durable());
  seed_snapshot_cache(budget);
  return r.summary;
}

Status FsImpl::restore_root(Restore& r, const std::optional<DirSelf>& self, std::uint64_t subdirs) {
  DFS_ASSIGN_OR_RETURN(index::InodeAttr top, r.txn.get_inode(kRootIno));
  top.nlink = 2 + subdirs;
  // A snapshot from before the self block (format 4) has none: the root
  // then keeps the mount's own attributes.
  if (self) {
    top.mode = S_IFDIR | self->mode;
    top.uid = self->owner.uid;
    top.gid = self->owner.gid;
    top.mtime_ns = nanoseconds(self->mtime.seconds, self->mtime.nanoseconds);
    top.atime_ns = nanoseconds(self->atime.seconds, self->atime.nanoseconds);
    top.ctime_ns = r.now;
    for (const EntryXattr& x : self->xattrs) {
      DFS_TRY(r.txn.set_xattr(kRootIno, x.name, x.value, index::XattrMode::create_or_replace));
    }
  }
  return r.txn.update_inode(top);
}

void FsImpl::seed_snapshot_cache(const TreeBudget& budget) {
  StoredDirectories stored;
  for (const auto& [head, known] : budget.known) {
    stored.emplace(directory_fingerprint(known.directory),
                   store::WrittenManifest{head, known.id.key, known.segments, IdKind::directory});
  }
  // Directories the restore rebuilt exactly (all but those holding hard
  // links, whose link numbers are this index's inode numbers now) keep
  // their manifests; the others are sealed now, as the next snapshot would.
  auto seeded = snapshot_reusing(kRootIno, SnapshotScope::namespace_backup, &stored);
  if (!seeded.ok()) log::warn("recovery: the snapshot cache was not filled (" + seeded.error().to_string() +
                              "); the next snapshot seals every directory again");
}

}  // namespace dfs::fs
