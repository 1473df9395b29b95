// FsImpl: sharing. A file's ID (which names its committed version) and
// placing a file someone shared, by its ID, in this namespace.
#include <sys/stat.h>

#include "dfs/util/log.hpp"
#include "fs_impl.hpp"

namespace dfs::fs {

Result<FileId> FsImpl::file_id(Ino ino) {
  DFS_ASSIGN_OR_RETURN(index::InodeAttr inode, backend_.index->get_inode(ino));
  if (S_ISDIR(inode.mode)) return make_error(Errc::is_directory, "a directory has no file ID (yet)");
  if (!S_ISREG(inode.mode)) return make_error(Errc::invalid_argument, "only a regular file has a file ID");
  if (!inode.manifest) {
    // Never committed (an empty file): store an empty version now.
    DFS_ASSIGN_OR_RETURN(auto state, acquire_state(ino));
    Status committed;
    {
      std::lock_guard lock(state->mu);
      if (!state->content.committed()) {
        state->content.mark_changed();
        committed = commit_locked(*state);
      }
    }
    release_state(ino);
    DFS_TRY(std::move(committed));
    DFS_ASSIGN_OR_RETURN(inode, backend_.index->get_inode(ino));
    if (!inode.manifest) return make_error(Errc::not_found, "inode " + std::to_string(ino) + " was unlinked");
  }
  return FileId{*inode.manifest, crypto::SecretKey::from_bytes(*inode.file_key)};
}

Result<Attr> FsImpl::open_shared(const Caller& caller, const FileId& id, Ino parent, std::string_view name) {
  DFS_TRY(check_name(name));
  auto manifest = reader_.manifest(id.key, id.manifest);
  if (!manifest.ok()) {
    log::warn("fs: cannot open shared file " + id.manifest.short_hex() + ": " + manifest.error().to_string());
    return manifest.take_error();
  }
  index::InodeAttr inode;
  inode.mode = S_IFREG | (0666 & ~caller.umask);
  inode.nlink = 1;
  inode.size = manifest->file_size;
  inode.stored_bytes = manifest->stored_bytes();
  inode.manifest = id.manifest;
  inode.file_key = id.key.bytes();
  DFS_ASSIGN_OR_RETURN(Attr attr, make_node(caller, parent, name, std::move(inode)));
  std::vector<ChunkId> referenced{id.manifest};
  for (const ChunkId& chunk : manifest->stored_ids()) referenced.push_back(chunk);
  index::FileRecord record{id.manifest, id.key.bytes(), std::string(name), manifest->file_size,
                           manifest->chunk_size, manifest->chunk_count(), attr.ctime.sec};
  DFS_ASSIGN_OR_RETURN(index::NamespaceTxn txn, backend_.index->begin_namespace());
  DFS_TRY(txn.record_version(record, referenced));
  DFS_TRY(txn.commit());
  return attr;
}

}  // namespace dfs::fs
