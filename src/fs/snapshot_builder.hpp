// SnapshotBuilder: builds directory snapshots (dfs/fs/snapshot.hpp) from the
// index's namespace, reusing each directory's cached manifest
// (Index::find_dir_snapshot) when the plaintext it would seal is unchanged.
//
// What it needs from the filesystem comes as two functions, so that it
// reads the index and nothing else of FsImpl:
//  - file_id: the File ID of a regular file that has no manifest yet (an
//    empty file never committed), which commits one (FsImpl::file_id);
//  - write: seals and stores one Directory (and sends its segments to the
//    peers), returning the manifest; the builder records it in the index
//    once the store is synced.
//
// The top of a namespace backup carries its own attributes (the self
// block), so a recovery restores the mount root's too.
//
// Threading: one build at a time (mu_, taken before any lock of FsImpl:
// file_id takes a FileState's lock, then FsImpl's, then the index's).
#pragma once

#include <functional>
#include <map>
#include <mutex>

#include "dfs/chunk/directory.hpp"
#include "dfs/fs/filesystem.hpp"
#include "dfs/index/index.hpp"
#include "dfs/store/version_writer.hpp"

namespace dfs::fs {

// What a directory's cached manifest is checked against: the digest of
// its whole plaintext as one head segment (entries, and the self block).
// Equal digests, equal snapshots: the cached manifest may stand for it.
crypto::Digest directory_fingerprint(const Directory& directory);

class SnapshotBuilder {
 public:
  using FileIdOf = std::function<Result<FileId>(Ino)>;
  using WriteDirectory = std::function<Result<store::WrittenManifest>(const Directory&)>;
  // Makes the segments written so far durable (before the index names them).
  using SyncStore = std::function<Status()>;

  SnapshotBuilder(index::Index& index, FileIdOf file_id);

  Result<DirectorySnapshot> build(Ino dir, SnapshotScope scope, const WriteDirectory& write, const SyncStore& sync);

 private:
  struct Subtree {
    FileId id;
    std::uint64_t size = 0;
    std::uint64_t files = 0;
  };
  struct Pass;  // one build's state (snapshot_builder.cpp)

  Result<Subtree> build_dir(Pass& pass, Ino dir, std::size_t depth);
  Result<dfs::DirEntry> entry_of(Pass& pass, const index::Child& child, std::size_t depth, Subtree& totals);

  index::Index& index_;
  const FileIdOf file_id_;

  std::mutex mu_;  // one build at a time; guards last_
  struct Last {
    std::uint64_t changes = 0;  // Index::namespace_changes() when it began
    DirectorySnapshot snapshot;
  };
  std::map<std::pair<Ino, SnapshotScope>, Last> last_;
};

}  // namespace dfs::fs
