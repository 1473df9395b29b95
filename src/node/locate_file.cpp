// Node::locate: where the chunks of one file are (`dfs where`), and their
// repair on demand (`dfs check --repair`).
#include <memory>

#include "dfs/node/node.hpp"
#include "dfs/replicate/local_chunks.hpp"
#include "dfs/util/log.hpp"

namespace dfs::node {

// The manifest's segments (head first) as the chain is walked, then the
// data chunks in order.
Result<std::vector<ChunkId>> Node::chunks_of(const FileId& id) {
  if (id.is_directory()) return load(id).take_error();
  std::vector<ChunkId> ids;
  auto manifest = load_manifest(id.key, id.manifest, [this, &ids](const ChunkId& c) {
    ids.push_back(c);
    return find_chunk(c);
  });
  if (!manifest.ok() && manifest.error().code == Errc::not_found) return load(id).take_error();  // its message
  if (!manifest.ok()) return manifest.take_error();
  for (const ChunkId& chunk : manifest->stored_ids()) ids.push_back(chunk);
  return ids;
}

Result<std::vector<replicate::ChunkLocation>> Node::locate_chunks(const std::vector<ChunkId>& ids) {
  if (network_) return network_->locate(ids);
  // A lone peer is the one place of every chunk.
  std::vector<replicate::ChunkLocation> found(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    found[i].id = ids[i];
    found[i].self_is_replica = true;
    auto served = served_->contains(ids[i]);
    auto cached = cache_->contains(ids[i]);
    found[i].self_holds = (served.ok() && *served) || (cached.ok() && *cached);
  }
  return found;
}

// The chunks go out through a replication stream, as a put's do: each to
// the R closest peers, its sealed bytes read from this peer's store or
// cache, else fetched from a peer that still has them.
std::uint64_t Node::place_again(const std::vector<ChunkId>& ids) {
  if (!network_ || ids.empty()) return 0;
  std::unique_ptr<ReplicationStream> stream = network_->start_replication();
  std::uint64_t sent = 0;
  for (const ChunkId& id : ids) {
    auto sealed = find_chunk(id);
    if (!sealed.ok()) {
      log::warn("check --repair: no copy of chunk " + id.short_hex() + " to place: " + sealed.error().to_string());
      continue;
    }
    stream->add(id, std::make_shared<const Bytes>(std::move(sealed).value()));
    ++sent;
  }
  stream->finish();
  return sent;
}

// This peer became one of the R closest of a chunk it does not serve (a
// holder died): the copy must be served, so it moves out of the cache as
// repair rounds move it (LocalChunks::serve), else is fetched into the
// store.
Status Node::serve_here(const ChunkId& id) {
  const replicate::LocalChunks here{*store_, cache_};
  DFS_TRY(here.serve(id));
  DFS_ASSIGN_OR_RETURN(bool served, served_->contains(id));
  if (served) return {};
  DFS_ASSIGN_OR_RETURN(Bytes sealed, find_chunk(id));
  return store_->put(id, sealed);
}

Result<FileLocation> Node::locate(const FileId& id, bool repair) {
  DFS_ASSIGN_OR_RETURN(std::vector<ChunkId> ids, chunks_of(id));
  FileLocation location;
  location.replicas = network_ ? network_->status().replicas : 1;
  DFS_ASSIGN_OR_RETURN(location.chunks, locate_chunks(ids));
  if (!repair || location.short_chunks() == 0) return location;
  std::vector<ChunkId> short_ids;
  for (const auto& chunk : location.chunks) {
    if (chunk.copies() >= location.replicas) continue;
    short_ids.push_back(chunk.id);
    if (chunk.self_is_replica && !chunk.self_holds) {
      if (Status served = serve_here(chunk.id); !served.ok()) {
        log::warn("check --repair: cannot serve chunk " + chunk.id.short_hex() + ": " + served.error().to_string());
      }
    }
  }
  location.chunks_placed_again = place_again(short_ids);
  DFS_ASSIGN_OR_RETURN(location.chunks, locate_chunks(ids));
  return location;
}

}  // namespace dfs::node
