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
  WrittenManifest written{sealed.head, sealed.key, {}};
  for (SealedChunk& segment : sealed.segments) {
    DFS_TRY(batch.put_sealed(segment));
    written.segments.push_back(segment.id);
    send(std::move(segment));
  }
  return written;
}

}  // namespace dfs::store
