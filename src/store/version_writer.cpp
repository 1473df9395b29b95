#include "dfs/store/version_writer.hpp"

namespace dfs::store {

VersionWriter::VersionWriter(crypto::SecretKey key, SealedSink sink) : key_(std::move(key)), sink_(std::move(sink)) {}

void VersionWriter::send(SealedChunk sealed) const {
  if (sink_) sink_(sealed.id, std::make_shared<const Bytes>(std::move(sealed.bytes)));
}

Result<ChunkRef> VersionWriter::write_chunk(ByteView plaintext, PutBatch& batch) const {
  SealedChunk sealed = seal_chunk(key_, ChunkKind::data, plaintext);
  DFS_TRY(batch.put_sealed(sealed));
  const ChunkRef ref{sealed.id, static_cast<std::uint32_t>(plaintext.size())};
  send(std::move(sealed));
  return ref;
}

Result<WrittenManifest> VersionWriter::write_manifest(const Manifest& manifest, PutBatch& batch) const {
  DFS_ASSIGN_OR_RETURN(SealedManifest sealed, seal_manifest(key_, manifest));
  WrittenManifest written{sealed.head, {}};
  for (SealedChunk& segment : sealed.segments) {
    DFS_TRY(batch.put_sealed(segment));
    written.segments.push_back(segment.id);
    send(std::move(segment));
  }
  return written;
}

}  // namespace dfs::store
