// FsImpl: placing a shared directory tree (a directory ID) in this
// namespace: `dfs open <dirID> PATH` and MOUNT/.dfs/ids/<dirID>.
//
// The whole tree is loaded and checked before anything is created, so a
// hostile or broken snapshot leaves nothing behind: every directory
// manifest is fetched, authenticated and decoded (the codec refuses names
// with '/', ".", "..", NUL, duplicates), the tree is bounded in depth
// (kMaxSnapshotDepth) and in entries (FsOptions::max_shared_tree_entries,
// counted as placed, so a directory ID repeated under many names costs
// what it places, though each distinct snapshot is fetched once), a
// directory that names itself among its ancestors is refused, and each
// file's manifest is fetched and must have the size its entry says, and
// each pack of packed files (chunk/directory.hpp) is fetched and must hold
// them. File contents are not fetched: reads fetch them on demand; but a
// packed file is made an ordinary file of this namespace when placed (its
// bytes written through create/write/release, the one writer of
// versions), as a pack has no File ID an inode could point at.
// Hard links arrive as separate files with the same File ID; special
// files as their type and mode (devices are skipped: a shared tree carries
// no device numbers).
#include <fcntl.h>
#include <sys/stat.h>

#include <map>
#include <set>

#include "dfs/chunk/directory.hpp"
#include "dfs/util/log.hpp"
#include "fs_impl.hpp"

namespace dfs::fs {

// A loaded, checked tree: a directory with, for each of its entries in
// order, the subtree (directories) or the manifest (files) it names.
struct FsImpl::SharedTree {
  Directory directory;
  std::vector<SharedTree> subdirs;  // one per directory entry, in order
  std::vector<Manifest> files;      // one per file entry with a File ID, in order
};

namespace {

Error in_tree(Error error, std::string_view where) {
  error.message = "shared directory, at \"" + std::string(where) + "\": " + error.message;
  return error;
}

std::uint32_t inode_type(EntryType type) {
  const bool device = type == EntryType::char_device || type == EntryType::block_device;
  return device ? 0 : mode_bits_of(type);  // devices: not placed
}

}  // namespace

Result<const FsImpl::TreeBudget::Known*> FsImpl::measure_shared_tree(const FileId& id, const std::string& where,
                                                                     std::size_t depth, TreeBudget& budget) {
  auto too_deep = [&] {
    return in_tree(make_error(Errc::too_large, "nested deeper than " + std::to_string(kMaxSnapshotDepth) + " directories"),
                   where);
  };
  if (depth > kMaxSnapshotDepth) return too_deep();
  if (auto it = budget.known.find(id.manifest); it != budget.known.end()) {
    if (depth + it->second.height > kMaxSnapshotDepth) return too_deep();
    return &it->second;
  }
  if (!budget.ancestors.insert(id.manifest).second) {
    return in_tree(make_error(Errc::corrupt, "the directory contains itself"), where);
  }
  TreeBudget::Known known;
  known.id = id;
  auto loaded = load_directory(id.key, id.manifest, [this, &known](const ChunkId& c) {
    known.segments.push_back(c);
    return reader_.sealed(c);
  });
  if (!loaded.ok()) return in_tree(loaded.take_error(), where);
  known.directory = std::move(*loaded);
  known.placed = known.directory.entries.size();
  for (const dfs::DirEntry& e : known.directory.entries) {
    if (e.type != EntryType::directory) continue;
    DFS_ASSIGN_OR_RETURN(const TreeBudget::Known* sub, measure_shared_tree(*e.id, where + "/" + e.name, depth + 1, budget));
    known.placed += sub->placed;
    known.height = std::max(known.height, sub->height + 1);
    if (known.placed > options_.max_shared_tree_entries) {
      return in_tree(
          make_error(Errc::too_large, "more than " + std::to_string(options_.max_shared_tree_entries) + " entries"),
          where);
    }
  }
  budget.ancestors.erase(id.manifest);
  return &budget.known.emplace(id.manifest, std::move(known)).first->second;
}

Result<FsImpl::SharedTree> FsImpl::load_shared_tree(const FileId& id, const std::string& where, TreeBudget& budget) {
  SharedTree tree;
  tree.directory = budget.known.at(id.manifest).directory;
  DFS_TRY(check_packs(tree.directory, where));
  for (const dfs::DirEntry& e : tree.directory.entries) {
    const std::string path = where + "/" + e.name;
    if (e.type == EntryType::directory) {
      DFS_ASSIGN_OR_RETURN(SharedTree sub, load_shared_tree(*e.id, path, budget));
      tree.subdirs.push_back(std::move(sub));
    } else if (e.type == EntryType::file && e.id) {
      auto manifest = reader_.manifest(e.id->key, e.id->manifest);
      if (!manifest.ok()) return in_tree(manifest.take_error(), path);
      if (manifest->file_size != e.size) {
        return in_tree(make_error(Errc::corrupt, "the entry says " + std::to_string(e.size) + " bytes, its file has " +
                                                     std::to_string(manifest->file_size)),
                       path);
      }
      tree.files.push_back(std::move(*manifest));
    }
  }
  return tree;
}

Result<Bytes> FsImpl::fetch_pack(const PackedRef& ref) {
  if (auto bytes = inline_pack(ref)) return std::move(*bytes);  // in the snapshot already read
  auto sealed = reader_.sealed(ref.pack);
  if (!sealed.ok()) {
    Error e = sealed.take_error();
    e.message = "cannot read the pack " + ref.pack.short_hex() + ": " + e.message;
    return e;
  }
  return open_pack(ref, *sealed);
}

Status FsImpl::check_packs(const Directory& directory, const std::string& where) {
  std::map<ChunkId, std::size_t> sizes;  // each pack's plaintext size, fetched once
  for (const dfs::DirEntry& e : directory.entries) {
    if (!e.packed) continue;
    auto it = sizes.find(e.packed->pack);
    if (it == sizes.end()) {
      auto pack = fetch_pack(*e.packed);
      if (!pack.ok()) return in_tree(pack.take_error(), where + "/" + e.name);
      it = sizes.emplace(e.packed->pack, pack->size()).first;
    }
    if (e.packed->offset > it->second || e.size > it->second - e.packed->offset) {
      return in_tree(make_error(Errc::corrupt, "the file reaches past the end of its pack"), where + "/" + e.name);
    }
  }
  return {};
}

Result<Attr> FsImpl::place_packed_file(const Caller& caller, ByteView bytes, Ino parent, std::string_view name,
                                       std::uint32_t mode, Timespec mtime) {
  DFS_ASSIGN_OR_RETURN(auto created, create(caller, parent, name, mode, O_WRONLY));
  Result<std::size_t> written = write(created.second, 0, bytes);
  Status released = release(created.second);  // commits the version
  if (!written.ok()) return written.take_error();
  DFS_TRY(released);
  SetAttr times;
  times.mtime = mtime;
  return setattr(caller, created.first.ino, times, std::nullopt);
}

Result<Attr> FsImpl::place_shared_file(const Caller& caller, const FileId& id, const Manifest& manifest, Ino parent,
                                       std::string_view name, std::uint32_t mode, std::optional<std::int64_t> mtime_ns) {
  index::InodeAttr inode;
  inode.mode = S_IFREG | mode;
  inode.nlink = 1;
  inode.size = manifest.file_size;
  inode.stored_bytes = manifest.stored_bytes();
  inode.manifest = id.manifest;
  inode.file_key = id.key.bytes();
  DFS_ASSIGN_OR_RETURN(Attr attr, make_node(caller, parent, name, std::move(inode), mtime_ns));
  std::vector<ChunkId> referenced{id.manifest};
  for (const ChunkId& chunk : manifest.stored_ids()) referenced.push_back(chunk);
  index::FileRecord record{id.manifest, id.key.bytes(), std::string(name), manifest.file_size,
                           manifest.chunk_size, manifest.chunk_count(), attr.ctime.sec};
  DFS_ASSIGN_OR_RETURN(index::NamespaceTxn txn, backend_.index->begin_namespace());
  DFS_TRY(txn.record_version(record, referenced));
  DFS_TRY(txn.commit());
  return attr;
}

Status FsImpl::place_tree_entries(const Caller& caller, const SharedTree& tree, Ino dir) {
  std::size_t next_dir = 0, next_file = 0;
  std::optional<std::pair<ChunkId, Bytes>> pack;  // the last one opened: put -r writes a pack's files in a row
  for (const dfs::DirEntry& e : tree.directory.entries) {
    const std::uint32_t mode = e.mode & 07777 & ~caller.umask;
    const std::int64_t mtime = e.mtime_seconds * 1'000'000'000 + e.mtime_nanoseconds;
    index::InodeAttr inode;
    inode.mode = inode_type(e.type) | mode;
    inode.nlink = 1;
    switch (e.type) {
      case EntryType::file: {
        if (e.id) {
          DFS_TRY(place_shared_file(caller, *e.id, tree.files[next_file++], dir, e.name, mode, mtime));
          continue;
        }
        if (!pack || pack->first != e.packed->pack) {
          DFS_ASSIGN_OR_RETURN(Bytes opened, fetch_pack(*e.packed));
          pack.emplace(e.packed->pack, std::move(opened));
        }
        DFS_ASSIGN_OR_RETURN(ByteView bytes, packed_bytes(e, pack->second));
        DFS_TRY(place_packed_file(caller, bytes, dir, e.name, mode, Timespec{e.mtime_seconds, e.mtime_nanoseconds}));
        continue;
      }
      case EntryType::directory: {
        inode.nlink = 2;
        DFS_ASSIGN_OR_RETURN(Attr sub, make_node(caller, dir, e.name, std::move(inode), mtime));
        DFS_TRY(place_tree_entries(caller, tree.subdirs[next_dir++], sub.ino));
        // Placing its entries touched its mtime: give it the sharer's.
        SetAttr times;
        times.mtime = Timespec{e.mtime_seconds, e.mtime_nanoseconds};
        DFS_TRY(setattr(caller, sub.ino, times, std::nullopt));
        continue;
      }
      case EntryType::symlink:
        inode.mode = S_IFLNK | 0777;
        inode.size = e.target.size();
        inode.symlink_target = e.target;
        break;
      case EntryType::fifo:
      case EntryType::socket:
        break;
      default:
        log::info("fs: shared tree: device \"" + e.name + "\" not placed (a shared tree has no device numbers)");
        continue;
    }
    DFS_TRY(make_node(caller, dir, e.name, std::move(inode), mtime));
  }
  return {};
}

Result<Attr> FsImpl::open_shared_tree(const Caller& caller, const FileId& id, Ino parent, std::string_view name) {
  TreeBudget budget;
  auto measured = measure_shared_tree(id, std::string(name), 0, budget);
  auto tree = measured.ok() ? load_shared_tree(id, std::string(name), budget) : measured.take_error();
  if (!tree.ok()) {
    log::warn("fs: cannot open shared directory " + id.manifest.short_hex() + ": " + tree.error().to_string());
    return tree.take_error();
  }
  index::InodeAttr top;
  top.mode = S_IFDIR | (0777 & ~caller.umask);
  top.nlink = 2;
  DFS_ASSIGN_OR_RETURN(Attr attr, make_node(caller, parent, name, std::move(top)));
  Status placed = place_tree_entries(caller, *tree, attr.ino);
  if (!placed.ok()) {
    log::warn("fs: placing shared directory " + id.manifest.short_hex() + " stopped: " + placed.error().to_string());
    return placed.take_error();
  }
  return attr;
}

}  // namespace dfs::fs
