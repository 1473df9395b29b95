#include "dfs/store/version_writer.hpp"

namespace dfs::store {

VersionWriter::VersionWriter(SealedSink sink) : sink_(std::move(sink)) {}

void VersionWriter::send(SealedChunk sealed) const {
  if (sink_) sink_(sealed.id, std::make_shared<const Bytes>(std::move(sealed.bytes)));
}

Result<ChunkRef> VersionWriter::write_chunk(ByteView plaintext, PutBatch& batch) const {
  SealedData data = seal_data_chunk(plaintext);
  DFS_TRY(batch.put_sealed(data.sealed));
  send(std::move(data.sealed));
  return std::move(data.ref);
}

Result<WrittenManifest> VersionWriter::write_manifest(const Manifest& manifest, PutBatch& batch) const {
  DFS_ASSIGN_OR_RETURN(SealedManifest sealed, seal_manifest(manifest));
  return store_segments(std::move(sealed), IdKind::file, batch);
}

Result<WrittenManifest> VersionWriter::write_directory(const Directory& directory, PutBatch& batch) const {
  DFS_ASSIGN_OR_RETURN(SealedManifest sealed, seal_directory(directory));
  return store_segments(std::move(sealed), IdKind::directory, batch);
}

Result<WrittenManifest> VersionWriter::store_segments(SealedManifest sealed, IdKind kind, PutBatch& batch) const {
  WrittenManifest written{sealed.head, sealed.key, {}, kind};
  for (SealedChunk& segment : sealed.segments) {
    DFS_TRY(batch.put_sealed(segment));
    written.segments.push_back(segment.id);
    send(std::move(segment));
  }
  return written;
}

}  // namespace dfs::store
