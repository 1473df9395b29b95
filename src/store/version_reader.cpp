#include "dfs/store/version_reader.hpp"

#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace dfs::store {

namespace {

// Reads through `source`, noting each chunk asked for in `segments` (if
// not null).
ChunkFetcher fetcher(ChunkStore& source, std::vector<ChunkId>* segments = nullptr) {
  return [&source, segments](const ChunkId& id) {
    if (segments) segments->push_back(id);
    return source.get(id);
  };
}

std::vector<std::string_view> components(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    const std::size_t slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    if (!part.empty()) parts.push_back(part);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

// Entries below a snapshot, memoised by its ID.
class TreeCounter {
 public:
  explicit TreeCounter(ChunkStore& source) : source_(source) {}

  Result<std::uint64_t> count(const FileId& id, std::size_t depth) {
    if (depth > kMaxTreeDepth) {
      return make_error(Errc::too_large, "the directory ID nests deeper than " + std::to_string(kMaxTreeDepth) +
                                             " directories");
    }
    if (auto it = counted_.find(id.manifest); it != counted_.end()) return it->second;
    DFS_ASSIGN_OR_RETURN(Directory directory, read_directory(source_, id));
    std::uint64_t total = directory.entries.size();
    for (const DirEntry& e : directory.entries) {
      if (e.type != EntryType::directory) continue;
      DFS_ASSIGN_OR_RETURN(std::uint64_t below, count(*e.id, depth + 1));
      total += below;
      if (total > kMaxTreeEntries) {
        return make_error(Errc::too_large, "the directory ID holds more than " + std::to_string(kMaxTreeEntries) +
                                               " entries (counting each time a subdirectory is named)");
      }
    }
    counted_.emplace(id.manifest, total);
    return total;
  }

 private:
  ChunkStore& source_;
  std::unordered_map<ChunkId, std::uint64_t> counted_;
};

}  // namespace

Result<std::uint64_t> count_tree(ChunkStore& source, const FileId& root) { return TreeCounter(source).count(root, 0); }

namespace {

// Each distinct snapshot once: the walk costs what the distinct snapshots
// hold, bounded by kMaxTreeDepth and kMaxTreeEntries in all.
class SnapshotWalk {
 public:
  SnapshotWalk(ChunkStore& source, const std::function<Status(const SnapshotVisit&)>& visit)
      : source_(source), visit_(visit) {}

  Status walk(const FileId& id, std::size_t depth) {
    if (depth > kMaxTreeDepth) {
      return make_error(Errc::too_large, "the directory ID nests deeper than " + std::to_string(kMaxTreeDepth) +
                                             " directories");
    }
    if (!walked_.insert(id.manifest).second) return {};
    std::vector<ChunkId> segments;
    DFS_ASSIGN_OR_RETURN(Directory directory, read_directory(source_, id, &segments));
    entries_ += directory.entries.size();
    if (entries_ > kMaxTreeEntries) {
      return make_error(Errc::too_large, "the directory ID holds more than " + std::to_string(kMaxTreeEntries) +
                                             " entries");
    }
    DFS_TRY(visit_(SnapshotVisit{id, directory, segments}));
    for (const DirEntry& e : directory.entries) {
      if (e.type == EntryType::directory) DFS_TRY(walk(*e.id, depth + 1));
    }
    return {};
  }

 private:
  ChunkStore& source_;
  const std::function<Status(const SnapshotVisit&)>& visit_;
  std::unordered_set<ChunkId> walked_;  // snapshot heads
  std::uint64_t entries_ = 0;
};

}  // namespace

Status walk_snapshots(ChunkStore& source, const FileId& root, const std::function<Status(const SnapshotVisit&)>& visit) {
  return SnapshotWalk(source, visit).walk(root, 0);
}

Result<Manifest> read_manifest(ChunkStore& source, const FileId& id, std::vector<ChunkId>* segments) {
  if (id.is_directory()) {
    return make_error(Errc::is_directory, "that is a directory ID (dfs1d…), not a file's: get it with -o DIR, "
                                          "or list it with dfs ls");
  }
  return load_manifest(id.key, id.manifest, fetcher(source, segments));
}

Result<Directory> read_directory(ChunkStore& source, const FileId& id, std::vector<ChunkId>* segments) {
  if (!id.is_directory()) return make_error(Errc::not_directory, "that is a file's ID (dfs1f…), not a directory ID");
  auto directory = load_directory(id.key, id.manifest, fetcher(source, segments));
  if (!directory.ok() && directory.error().code == Errc::not_found) {
    return make_error(Errc::not_found, "no copy of the directory snapshot " + id.manifest.short_hex() +
                                           " can be found: " + directory.error().message);
  }
  return directory;
}

Result<Bytes> read_pack(ChunkStore& source, const PackedRef& ref) {
  if (auto bytes = inline_pack(ref)) return std::move(*bytes);  // in the snapshot already read
  auto sealed = source.get(ref.pack);
  if (!sealed.ok()) {
    Error e = sealed.take_error();
    e.message = "cannot read the pack " + ref.pack.short_hex() + ": " + e.message;
    return e;
  }
  return open_pack(ref, *sealed);
}

Result<Bytes> read_packed_file(ChunkStore& source, const DirEntry& entry) {
  if (!entry.packed) return make_error(Errc::invalid_argument, "\"" + entry.name + "\" is not a packed file");
  DFS_ASSIGN_OR_RETURN(Bytes pack, read_pack(source, *entry.packed));
  DFS_ASSIGN_OR_RETURN(ByteView bytes, packed_bytes(entry, pack));
  return Bytes(bytes.begin(), bytes.end());
}

Result<DirEntry> resolve_path(ChunkStore& source, const FileId& root, std::string_view path) {
  const std::vector<std::string_view> parts = components(path);
  if (parts.empty()) return make_error(Errc::invalid_argument, "an empty path inside a directory ID");
  if (parts.size() > kMaxTreeDepth) {
    return make_error(Errc::too_large, "a path of " + std::to_string(parts.size()) + " components (at most " +
                                           std::to_string(kMaxTreeDepth) + ")");
  }
  FileId dir = root;
  std::string walked;
  for (std::size_t i = 0;; ++i) {
    if (Status name = check_entry_name(parts[i]); !name.ok()) {
      return make_error(Errc::invalid_argument, "\"" + std::string(parts[i]) + "\" cannot name an entry of a directory ID");
    }
    DFS_ASSIGN_OR_RETURN(Directory listing, read_directory(source, dir));
    const DirEntry* entry = listing.find(parts[i]);
    walked += (walked.empty() ? "" : "/") + std::string(parts[i]);
    if (!entry) return make_error(Errc::not_found, "no \"" + walked + "\" in that directory ID");
    if (i + 1 == parts.size()) return *entry;
    if (entry->type != EntryType::directory) return make_error(Errc::not_directory, "\"" + walked + "\" is not a directory");
    dir = *entry->id;
  }
}

}  // namespace dfs::store
