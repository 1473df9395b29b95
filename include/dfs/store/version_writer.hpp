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
// A change to how chunks are keyed or how manifests are built belongs in
// write_chunk or write_manifest, and nowhere else.
//
// Thread-safe: const methods on immutable state; several pool workers
// write the chunks of one version at once (the sink must allow that).
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "dfs/chunk/manifest.hpp"
#include "dfs/store/chunk_store.hpp"

namespace dfs::store {

// Takes the sealed bytes of each chunk a writer stored (a replication
// stream's add). Called from the writer's threads, possibly at once.
using SealedSink = std::function<void(const ChunkId& id, std::shared_ptr<const Bytes> sealed)>;

struct WrittenManifest {
  ChunkId head;                   // the manifest ID that goes in a File ID
  std::vector<ChunkId> segments;  // every segment stored, head first
};

class VersionWriter {
 public:
  // `key` seals the version; `sink` may be empty (no network).
  explicit VersionWriter(crypto::SecretKey key, SealedSink sink = {});

  const crypto::SecretKey& key() const { return key_; }

  // Seals `plaintext` as a data chunk, puts it through `batch`, then hands
  // it to the sink. Its ChunkRef, or the put's error (nothing is sent).
  Result<ChunkRef> write_chunk(ByteView plaintext, PutBatch& batch) const;
  // Seals `manifest`, puts its segments through `batch` and hands them to
  // the sink.
  Result<WrittenManifest> write_manifest(const Manifest& manifest, PutBatch& batch) const;

 private:
  void send(SealedChunk sealed) const;

  const crypto::SecretKey key_;
  const SealedSink sink_;
};

}  // namespace dfs::store
