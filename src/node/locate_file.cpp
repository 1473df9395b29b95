// Node::locate: where the chunks of a file or a tree are (`dfs where`),
// and their repair on demand (`dfs check --repair`).
#include <memory>
#include <unordered_set>

#include "dfs/node/node.hpp"
#include "dfs/replicate/local_chunks.hpp"
#include "dfs/store/version_reader.hpp"
#include "dfs/util/log.hpp"

namespace dfs::node {

// What a walk of a file or tree has found so far: each chunk once, at most
// kMaxLocateChunks of them.
struct Node::ChunkWalk {
  std::vector<ChunkId> ids;             // in the order found
  std::unordered_set<ChunkId> seen;     // the same, to add each once
  std::unordered_set<ChunkId> files;    // manifests walked (a file named twice, hard links)
  std::uint64_t file_count = 0;

  Status add(const ChunkId& id) {
    if (!seen.insert(id).second) return {};
    if (ids.size() >= kMaxLocateChunks) {
      return make_error(Errc::too_large, "more than " + std::to_string(kMaxLocateChunks) +
                                             " chunks: locate a part of it (a file or subdirectory of the tree)");
    }
    ids.push_back(id);
    return {};
  }
  Status add(const std::vector<ChunkId>& some) {
    for (const ChunkId& id : some) DFS_TRY(add(id));
    return {};
  }
};

// The manifest's segments (head first) as the chain is walked, then the
// data chunks in order. In a tree, a manifest no peer has counts as a
// chunk of no copies (check says so) rather than failing the whole walk.
Status Node::walk_file(const FileId& id, ChunkWalk& walk) {
  ++walk.file_count;
  if (!walk.files.insert(id.manifest).second) return {};
  std::vector<ChunkId> segments;
  auto manifest = load(id, &segments);
  DFS_TRY(walk.add(segments));
  if (!manifest.ok()) return manifest.take_error();
  return walk.add(manifest->stored_ids());
}

// A file's chunks; a tree's: each snapshot's segments (through the
// reader every tree command uses), then what its entries name: a packed
// file's pack (chunk/directory.hpp), another file's manifest and chunks.
Result<std::vector<ChunkId>> Node::chunks_of(const FileId& id, std::uint64_t& files) {
  ChunkWalk walk;
  if (!id.is_directory()) {
    DFS_TRY(walk_file(id, walk));
  } else {
    DFS_TRY(store::walk_snapshots(*source_, id, [this, &walk](const store::SnapshotVisit& v) -> Status {
      DFS_TRY(walk.add(v.segments));
      for (const DirEntry& e : v.directory.entries) {
        if (e.type != EntryType::file) continue;
        if (!e.id) {  // packed (validate() allows a file nothing else)
          ++walk.file_count;
          // (An inline file's bytes are in the head segment, added above.)
          if (e.packed && !e.packed->is_inline()) DFS_TRY(walk.add(e.packed->pack));
          continue;
        }
        Status file = walk_file(*e.id, walk);
        if (!file.ok() && file.error().code != Errc::not_found) return file;
        if (!file.ok()) DFS_TRY(walk.add(e.id->manifest));  // located as no copies
      }
      return {};
    }));
  }
  files = walk.file_count;
  return std::move(walk.ids);
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
  const replicate::LocalChunks here{*store_, cache_, {}};
  DFS_TRY(here.serve(id));
  DFS_ASSIGN_OR_RETURN(bool served, served_->contains(id));
  if (served) return {};
  DFS_ASSIGN_OR_RETURN(Bytes sealed, find_chunk(id));
  return store_->put(id, sealed);
}

Result<FileLocation> Node::locate(const FileId& id, bool repair) {
  FileLocation location;
  DFS_ASSIGN_OR_RETURN(std::vector<ChunkId> ids, chunks_of(id, location.files));
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
