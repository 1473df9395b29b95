// SnapshotBuilder: a depth-first pass over the index's namespace. Each
// directory's entries become a Directory; its plaintext's digest decides
// whether the cached manifest still holds (same entries, same IDs beneath,
// so the same Merkle subtree) or a new one is sealed.
#include "snapshot_builder.hpp"

#include <sys/stat.h>

#include "dfs/crypto/crypto.hpp"
#include "dfs/fs/id_directory.hpp"
#include "dfs/util/log.hpp"

namespace dfs::fs {

struct SnapshotBuilder::Pass {
  SnapshotScope scope;
  const WriteDirectory& write;
  DirectorySnapshot result;
  std::vector<index::DirSnapshotRecord> to_save;  // sealed this pass, saved after the store sync
};

namespace {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;

EntryTime split(std::int64_t ns) {
  std::int64_t seconds = ns / kNanosPerSecond, rest = ns % kNanosPerSecond;
  if (rest < 0) {
    rest += kNanosPerSecond;
    --seconds;
  }
  return EntryTime{seconds, static_cast<std::uint32_t>(rest)};
}

Result<EntryType> type_of(std::uint32_t mode) {
  if (std::optional<EntryType> type = entry_type_of_mode(mode)) return *type;
  return make_error(Errc::corrupt, "an inode of unknown type " + std::to_string(mode & S_IFMT));
}

// The owner's metadata, for a namespace backup.
void add_metadata(dfs::DirEntry& e, const index::Child& child) {
  const index::InodeAttr& a = child.attr;
  e.owner = EntryOwner{a.uid, a.gid};
  e.atime = split(a.atime_ns);
  if (e.type == EntryType::char_device || e.type == EntryType::block_device) e.rdev = a.rdev;
  if (e.type == EntryType::file && a.nlink > 1) e.link = a.ino;
  for (const auto& [name, value] : child.xattrs) e.xattrs.push_back(EntryXattr{name, value});
}

// The top of a namespace backup's own attributes: its root has no entry
// that would carry them (chunk/directory.hpp, the self block).
Result<DirSelf> self_of(index::Index& index, Ino dir) {
  DFS_ASSIGN_OR_RETURN(index::InodeAttr a, index.get_inode(dir));
  DFS_ASSIGN_OR_RETURN(auto xattrs, index.xattrs_of(dir));
  DirSelf self{a.mode & 07777, split(a.mtime_ns), EntryOwner{a.uid, a.gid}, split(a.atime_ns), {}};
  for (auto& [name, value] : xattrs) self.xattrs.push_back(EntryXattr{std::move(name), std::move(value)});
  return self;
}

index::FileKey key_bytes(const crypto::SecretKey& key) {
  index::FileKey out{};
  const auto bytes = key.bytes();
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

}  // namespace

crypto::Digest directory_fingerprint(const Directory& directory) {
  DirectorySegment whole;
  whole.is_head = true;
  whole.total_entries = directory.entries.size();
  whole.self = directory.self;
  whole.entries = directory.entries;
  return crypto::sha256(encode_directory_segment(whole));
}

SnapshotBuilder::SnapshotBuilder(index::Index& index, FileIdOf file_id) : index_(index), file_id_(std::move(file_id)) {}

Result<DirectorySnapshot> SnapshotBuilder::build(Ino dir, SnapshotScope scope, const WriteDirectory& write,
                                                 const SyncStore& sync) {
  std::lock_guard lock(mu_);
  const std::uint64_t changes = index_.namespace_changes();
  auto last = last_.find({dir, scope});
  if (last != last_.end() && last->second.changes == changes) {
    DirectorySnapshot same = last->second.snapshot;
    same.sealed = 0;
    same.new_chunks.clear();
    return same;
  }
  Pass pass{scope, write, {}, {}};
  DFS_ASSIGN_OR_RETURN(Subtree top, build_dir(pass, dir, 0));
  if (!pass.to_save.empty()) {
    // The index names a manifest only once its segments are durable: a
    // cached row must never point at a chunk a power loss took.
    DFS_TRY(sync());
    for (const index::DirSnapshotRecord& record : pass.to_save) DFS_TRY(index_.save_dir_snapshot(record));
  }
  pass.result.id = top.id;
  pass.result.size = top.size;
  pass.result.files = top.files;
  last_[{dir, scope}] = Last{changes, pass.result};
  return std::move(pass.result);
}

Result<dfs::DirEntry> SnapshotBuilder::entry_of(Pass& pass, const index::Child& child, std::size_t depth, Subtree& totals) {
  const index::InodeAttr& a = child.attr;
  dfs::DirEntry e;
  e.name = child.name;
  DFS_ASSIGN_OR_RETURN(e.type, type_of(a.mode));
  e.mode = a.mode & 07777;
  const EntryTime mtime = split(a.mtime_ns);
  e.mtime_seconds = mtime.seconds;
  e.mtime_nanoseconds = mtime.nanoseconds;
  switch (e.type) {
    case EntryType::file: {
      if (a.manifest && a.file_key) {
        e.id = FileId{*a.manifest, crypto::SecretKey::from_bytes(*a.file_key), IdKind::file};
      } else {
        DFS_ASSIGN_OR_RETURN(e.id, file_id_(a.ino));
      }
      e.size = a.size;
      totals.size += a.size;
      totals.files += 1;
      break;
    }
    case EntryType::directory: {
      DFS_ASSIGN_OR_RETURN(Subtree sub, build_dir(pass, a.ino, depth + 1));
      e.id = sub.id;
      e.size = sub.size;
      totals.size += sub.size;
      totals.files += sub.files;
      break;
    }
    case EntryType::symlink:
      e.target = a.symlink_target.value_or("");
      e.size = e.target.size();
      break;
    default:
      break;  // special files: type and mode (and, backed up, rdev)
  }
  if (pass.scope == SnapshotScope::namespace_backup) add_metadata(e, child);
  return e;
}

Result<SnapshotBuilder::Subtree> SnapshotBuilder::build_dir(Pass& pass, Ino dir, std::size_t depth) {
  if (depth > kMaxSnapshotDepth) {
    return make_error(Errc::too_large, "the tree is deeper than " + std::to_string(kMaxSnapshotDepth) + " directories");
  }
  DFS_ASSIGN_OR_RETURN(std::vector<index::Child> children,
                       index_.list_children(dir, pass.scope == SnapshotScope::namespace_backup));
  Directory directory;
  Subtree totals;
  for (const index::Child& child : children) {
    // The root's .dfs is the mount's own (id_directory.hpp), not the user's.
    if (dir == kRootIno && child.name == kDotDfsName) continue;
    auto entry = entry_of(pass, child, depth, totals);
    if (!entry.ok()) {
      Error error = entry.take_error();
      if (error.message.find(" (in ") == std::string::npos) error.message += " (in \"" + child.name + "\")";
      return error;
    }
    directory.entries.push_back(std::move(*entry));
  }
  if (depth == 0 && pass.scope == SnapshotScope::namespace_backup) {
    DFS_ASSIGN_OR_RETURN(directory.self, self_of(index_, dir));
  }
  const crypto::Digest fingerprint = directory_fingerprint(directory);
  const auto scope = static_cast<std::uint8_t>(pass.scope);
  DFS_ASSIGN_OR_RETURN(auto cached, index_.find_dir_snapshot(dir, scope));
  if (cached && cached->fingerprint == fingerprint) {
    totals.id = FileId{cached->manifest, crypto::SecretKey::from_bytes(cached->key), IdKind::directory};
    return totals;
  }
  DFS_ASSIGN_OR_RETURN(store::WrittenManifest written, pass.write(directory));
  index::DirSnapshotRecord record{dir, scope, fingerprint, written.head, key_bytes(written.key),
                                  totals.size, totals.files, written.segments};
  pass.to_save.push_back(std::move(record));
  pass.result.sealed += 1;
  pass.result.new_chunks.insert(pass.result.new_chunks.end(), written.segments.begin(), written.segments.end());
  totals.id = FileId{written.head, written.key, IdKind::directory};
  return totals;
}

}  // namespace dfs::fs
