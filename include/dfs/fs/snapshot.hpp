// Directory snapshots of the mount's namespace (DESIGN.md §2): one ID for a
// directory's whole tree, as of its files' last closed contents, as a Merkle
// tree of directory manifests (chunk/directory.hpp). FileSystem::snapshot
// builds one; `dfs id DIR` and user.dfs.id of a directory show its ID
// (scope shared), and the namespace snapshots of issue 15 take the root's
// (scope namespace_backup).
//
// Cost: each directory's manifest is cached in the index with a digest of
// its plaintext, so a directory whose entries (names, attributes, IDs of
// files and of subdirectories) are unchanged keeps its manifest and its ID:
// an edit re-seals only the directories on the edited file's path. While
// the namespace has not changed at all since the last call, a call returns
// the last result at once; otherwise it reads every directory beneath (one
// index query each) and seals only those that changed.
#pragma once

#include <cstdint>
#include <vector>

#include "dfs/chunk/file_id.hpp"
#include "dfs/store/version_reader.hpp"

namespace dfs::fs {

enum class SnapshotScope : std::uint8_t {
  // What a peer given the ID sees: names, types, permission bits, mtimes,
  // sizes, File IDs, symlink targets. Hard links are separate entries with
  // the same File ID; special files show their type and mode only.
  shared = 0,
  // The owner's own (issue 15): all of the above plus owners (uid/gid),
  // atimes, xattrs, device numbers and hard-link numbers (entries with the
  // same `link` are one inode), so the namespace can be rebuilt from it.
  namespace_backup = 1,
};

struct DirectorySnapshot {
  FileId id;                 // kind directory
  std::uint64_t size = 0;    // bytes of the files beneath
  std::uint64_t files = 0;   // files beneath (a hard-linked file counts per name)
  std::uint64_t sealed = 0;  // directory manifests this call sealed (0: all cached)
  // The segments this call stored: on their way to the peers already
  // (replicated like a closed file's chunks), kept from GC while cached.
  std::vector<ChunkId> new_chunks;
};

// What FileSystem::restore rebuilt.
struct RestoreSummary {
  std::uint64_t directories = 0;  // below the root
  std::uint64_t files = 0;        // regular files (a hard link counts once)
  std::uint64_t others = 0;       // symlinks and special files
  std::uint64_t bytes = 0;        // of the regular files
};

// Deepest tree a snapshot takes (a bound on the builder's recursion): what
// a reader of the ID descends (store/version_reader.hpp).
inline constexpr std::size_t kMaxSnapshotDepth = store::kMaxTreeDepth;
// Entries a shared tree placed on this mount may have in all (a bound on
// what a hostile directory ID costs, however its subtrees repeat).
inline constexpr std::uint64_t kMaxSharedTreeEntries = 1u << 20;

}  // namespace dfs::fs
