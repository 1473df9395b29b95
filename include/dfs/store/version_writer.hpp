// VersionWriter: the one place where a file version's chunks and manifest
// are sealed and stored (DESIGN.md §2, §5), for `dfs put`
// (node/node.cpp) and for the mount (fs/file_content.cpp and its
// write-behind, fs/write_behind.cpp) alike.
//
// write_chunk seals one chunk of plaintext, puts it through the caller's
// batch (as verified: the seal computed its ID from these very bytes) and,
// with a sink, hands the sealed bytes to the sink while they are still in
// memory, so a replication stream places them on the peers with no read
// back from the disk and no second hash. write_manifest does the same for
// the segments of the version's manifest. Callers differ only in where the
// plaintext comes from (a file descriptor, the write-back area), which
// batch they commit and how (synced for `dfs put`, unsynced for the
// mount's grouped durability), and when they wait for the sink's
// acknowledgements (`dfs put` and fsync before returning, close never).
//
// write_directory stores a directory snapshot (chunk/directory.hpp) the
// same way: `dfs put -r` and the mount's directory IDs name trees by it.
// version_reader.hpp is the other half: reading what these wrote.
//
// A change to how chunks are keyed or how manifests are built belongs in
// write_chunk, write_manifest or write_directory, and nowhere else.
//
// Thread-safe: const methods on immutable state; several pool workers
// write the chunks of one version at once (the sink must allow that).
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "dfs/chunk/directory.hpp"
#include "dfs/chunk/manifest.hpp"
#include "dfs/store/chunk_store.hpp"

namespace dfs::store {

// Takes the sealed bytes of each chunk a writer stored (a replication
// stream's add). Called from the writer's threads, possibly at once.
using SealedSink = std::function<void(const ChunkId& id, std::shared_ptr<const Bytes> sealed)>;

struct WrittenManifest {
  ChunkId head;                   // the manifest ID that goes in a File ID
  crypto::SecretKey key = crypto::SecretKey::from_bytes({});  // its fresh key: the File ID's other half
  std::vector<ChunkId> segments;  // every segment stored, head first
  IdKind kind = IdKind::file;     // a file's manifest or a directory snapshot

  FileId id() const { return FileId{head, key, kind}; }
};

class VersionWriter {
 public:
  // `sink` may be empty (no network).
  explicit VersionWriter(SealedSink sink = {});

  // Seals `plaintext` as a data chunk under a fresh key of its own, puts
  // it through `batch`, then hands it to the sink. Its ChunkRef (which
  // carries the key), or the put's error (nothing is sent).
  Result<ChunkRef> write_chunk(ByteView plaintext, PutBatch& batch) const;
  // Seals `manifest` under a key fresh for this version (so no older or
  // newer ID opens it), puts its segments through `batch` and hands them
  // to the sink.
  Result<WrittenManifest> write_manifest(const Manifest& manifest, PutBatch& batch) const;
  // Validates `directory` (names, order, IDs of the right kind), seals it
  // under a fresh key, puts its segments through `batch` and hands them to
  // the sink. Its id() is the directory ID (kind directory).
  Result<WrittenManifest> write_directory(const Directory& directory, PutBatch& batch) const;

 private:
  void send(SealedChunk sealed) const;
  // Puts and sends the segments of a sealed manifest or directory.
  Result<WrittenManifest> store_segments(SealedManifest sealed, IdKind kind, PutBatch& batch) const;

  const SealedSink sink_;
};

}  // namespace dfs::store
