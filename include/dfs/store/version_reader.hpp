// Reading versions back: the other half of VersionWriter
// (version_writer.hpp). A File ID names a file's manifest, a directory ID
// a directory snapshot; both are read through a chunk source
// (chunk_source.hpp: local store, cache, peers), so `dfs get`, `dfs ls ID`
// and the mount's `.dfs/ids/<dirID>/…` read a tree the same way and get
// the same errors for the same hostile input.
//
// A directory snapshot comes from whoever gave us its ID, so everything
// here is bounded: each snapshot by chunk/directory.hpp's limits, a path
// or a walk by kMaxTreeDepth, and a whole walk (whose subdirectories may
// name one snapshot many times over) by kMaxTreeEntries.
#pragma once

#include <functional>
#include <string_view>
#include <vector>

#include "dfs/chunk/directory.hpp"
#include "dfs/chunk/manifest.hpp"
#include "dfs/store/chunk_store.hpp"

namespace dfs::store {

// Directories below a tree's root that a path or a walk may descend.
inline constexpr std::size_t kMaxTreeDepth = 256;
// Entries a walk of a whole tree may visit, counting a snapshot each time
// some directory names it.
inline constexpr std::uint64_t kMaxTreeEntries = std::uint64_t{1} << 24;

// The manifest of file `id`; Errc::is_directory for a directory ID.
// `segments` (if not null) gets the chunks its chain is stored in, head
// first, as they are read (also those read before a failure).
Result<Manifest> read_manifest(ChunkStore& source, const FileId& id, std::vector<ChunkId>* segments = nullptr);
// The snapshot directory `id` names; Errc::not_directory for a File ID.
// `segments` as for read_manifest.
Result<Directory> read_directory(ChunkStore& source, const FileId& id, std::vector<ChunkId>* segments = nullptr);

// The plaintext of the pack a packed entry names, fetched (verified by the
// source, as every chunk) and opened, or an inline pack's bytes; take each file's bytes out of it
// with packed_bytes (chunk/directory.hpp). Readers of many files of one
// directory fetch each pack once and keep it while they need it.
Result<Bytes> read_pack(ChunkStore& source, const PackedRef& ref);
// The bytes of one entry that is a packed file (one fetch of its pack).
Result<Bytes> read_packed_file(ChunkStore& source, const DirEntry& entry);

// The entries in the whole tree below directory `root` (each snapshot
// counted each time it is named), checked against kMaxTreeDepth and
// kMaxTreeEntries before anything is made of the tree. Each distinct
// snapshot is read once, so a tree naming one snapshot a million times
// costs as much as one naming it once.
Result<std::uint64_t> count_tree(ChunkStore& source, const FileId& root);

// One snapshot of a tree as walk_snapshots hands it over.
struct SnapshotVisit {
  const FileId& id;
  const Directory& directory;
  const std::vector<ChunkId>& segments;  // the chunks its chain is stored in, head first
};
// Every distinct snapshot of the tree below directory `root` (the root
// included), each read and visited once however often the tree names it,
// depth first in entry order; bounded by kMaxTreeDepth, and by
// kMaxTreeEntries over the distinct snapshots' entries. For those
// who need every chunk of a tree (dfs where, dfs check): the entries say
// the rest (a File ID's manifest, a packed file's pack).
Status walk_snapshots(ChunkStore& source, const FileId& root, const std::function<Status(const SnapshotVisit&)>& visit);

// The entry `path` ("sub/dir/file", '/'-separated; empty components and a
// trailing '/' are ignored) names below directory `root`. Errc::not_found
// for a name that is not there, not_directory for a component that is not
// a directory, invalid_argument for "." or ".." or an empty path,
// too_large past kMaxTreeDepth components.
Result<DirEntry> resolve_path(ChunkStore& source, const FileId& root, std::string_view path);

}  // namespace dfs::store
