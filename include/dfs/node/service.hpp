// Service: what a peer offers its owner — put, get, list, status, peers, gc,
// and the same for directory trees (put_tree, get_tree, list_directory,
// lookup) and removing what was put (remove).
//
// The dfs command line talks to a Service without knowing where it runs:
// Node implements it in-process (a lone peer working on its data directory,
// or the peer a daemon runs), and ControlClient implements it by forwarding
// each call over the control socket to the daemon's Node. One interface, so
// the two modes cannot drift apart.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "dfs/chunk/directory.hpp"
#include "dfs/chunk/file_id.hpp"
#include "dfs/chunk/recovery_pointer.hpp"
#include "dfs/node/gc.hpp"
#include "dfs/replicate/chunk_location.hpp"
#include "dfs/replicate/chunk_network.hpp"
#include "dfs/store/chunk_store.hpp"

namespace dfs::node {

// Called on the calling thread with the bytes processed so far and the
// total when known (0 = unknown).
using ProgressFn = std::function<void(std::uint64_t bytes_done, std::uint64_t bytes_total)>;

struct PutOptions {
  std::uint32_t chunk_size = 0;  // 0 = the peer's default
};

struct PutOutcome {
  FileId id;
  std::uint32_t replicas_wanted = 1;  // R (1 for a lone peer)
  std::uint32_t replicas_min = 1;     // fewest confirmed copies of any chunk
};

// One item this peer keeps: put by dfs put / put -r, or a version of a
// file on the mount.
struct FileSummary {
  std::string file_id;  // dfs1f… or dfs1d…
  std::string name;     // the name it was put under
  std::uint64_t size = 0;  // a tree's: the total of its files
  std::int64_t added_at_unix = 0;
  bool is_directory = false;
  bool from_mount = false;  // a version of a file on the mount, not a put
};

using replicate::PeerSummary;

// The most chunks one locate covers (1 TiB of 1 MiB chunks): their
// places take a few hundred MB at the peer and at `dfs where`.
inline constexpr std::size_t kMaxLocateChunks = std::size_t{1} << 20;

// The most chunks one lease query covers (32 bytes each in the request).
inline constexpr std::size_t kMaxLeaseQuery = 4096;

// A lease this peer holds on a chunk for another peer (node/leases.hpp).
struct HeldLease {
  std::int64_t expires_at = 0;  // Unix seconds
  // The lease key renewals may be signed with (replicate/keyed_renewal.hpp).
  std::optional<std::array<std::uint8_t, 32>> placer_key;

  bool operator==(const HeldLease&) const = default;
};

// Where every chunk of a file or tree is (`dfs where`, `dfs check`): a
// file's manifest segments, head first, then its data chunks in order
// (holes have none); a tree's snapshot segments, its packs and its files'
// chunks, depth first, each chunk once.
struct FileLocation {
  std::uint32_t replicas = 1;  // R (1 for a lone peer)
  std::uint64_t files = 1;     // files in the tree, each distinct snapshot counted once (1 for a file)
  std::vector<replicate::ChunkLocation> chunks;
  std::uint64_t chunks_placed_again = 0;  // short chunks a repair (check --repair) sent out again

  // Chunks with fewer than R copies on their R closest live peers.
  std::size_t short_chunks() const {
    std::size_t n = 0;
    for (const auto& c : chunks) n += c.copies() < replicas;
    return n;
  }
};

struct ServiceStatus {
  std::string data_dir;
  store::Usage usage;                  // chunks this peer is responsible for
  store::Usage cache;                  // its own files' chunks held for others
  store::Usage held;                   // chunks other peers put here (held/), quota_bytes its budget
  std::uint64_t files = 0;             // files put on this peer
  std::uint64_t referenced_chunks = 0; // chunks its files use
  bool networked = false;              // false: a lone peer
  std::string node_id;                 // hex; empty for a lone peer
  std::string listen_address;
  std::uint32_t peers = 0;
  std::string reachable;               // "yes (...)", "no: ...", "not known yet (...)"
  std::uint32_t replicas = 1;
  replicate::HealthSnapshot health;    // chunks short of copies now, repair's queue and rate
  std::uint64_t repair_copies = 0;     // since the peer started
  // When this peer's chunks would start to expire on their holders if it
  // stopped renewing now: the start of its last complete repair sweep plus
  // the lease length (Unix seconds; 0: no sweep completed yet).
  std::int64_t leases_expire_from = 0;
  std::uint32_t lease_days = 0;          // the lease length it assumes, in days
  // The namespace's latest snapshot published under the recovery key
  // (DATA/recovery.state; issue 15): taken_at 0 when none was. Its root
  // is not carried (it is the recovery key's to read).
  SnapshotRef last_snapshot;
  std::uint64_t snapshot_sequence = 0;
  std::vector<std::string> limits;     // "inbound connections: 3 (cap 512, ...)"
};

class Service {
 public:
  virtual ~Service() = default;

  // Stores what `fd` holds to its end; returns the new file's ID. On
  // failure nothing of the file is left behind.
  virtual Result<PutOutcome> put(int fd, const std::string& name, const PutOptions& options,
                                 const ProgressFn& progress) = 0;
  // Writes the file named by `id` to `fd`, verifying every chunk.
  virtual Status get(const FileId& id, int fd, const ProgressFn& progress) = 0;
  virtual Result<std::vector<FileSummary>> list() = 0;

  // Stores the tree below the directory open as `dirfd` (the caller opened
  // it, with its own permissions): each small file packed with the
  // others of its directory (chunk/directory.hpp), each other file by its
  // File ID, each directory as a snapshot; returns the root's directory ID. Kept as one
  // item named `name` (what remove drops). On failure nothing is kept.
  virtual Result<PutOutcome> put_tree(int dirfd, const std::string& name, const PutOptions& options,
                                      const ProgressFn& progress) = 0;
  // Recreates the tree directory `id` names inside the empty directory
  // open as `dirfd`, with modes, mtimes and symlinks (the root's own mode
  // and mtime are its parent's to say, so `dirfd` is left as it is).
  virtual Status get_tree(const FileId& id, int dirfd, const ProgressFn& progress) = 0;
  // The entries of directory `id`.
  virtual Result<Directory> list_directory(const FileId& id) = 0;
  // The entry "sub/path" names below directory `root`.
  virtual Result<DirEntry> lookup(const FileId& root, const std::string& path) = 0;
  // Writes the file "sub/path" names below directory `root` to `fd`: a
  // packed file's bytes out of its pack, else as get of its File ID.
  virtual Status get_path(const FileId& root, const std::string& path, int fd, const ProgressFn& progress) = 0;
  // Drops an item put on this peer (dfs put or put -r): its chunks are no
  // longer referenced (GC may take them; their leases lapse). Errc::not_found
  // if this peer keeps no such item; a version of a file on the mount is
  // removed by removing the file there (Errc::invalid_argument).
  virtual Status remove(const FileId& id) = 0;
  virtual Result<ServiceStatus> status() = 0;
  virtual Result<std::vector<PeerSummary>> peers() = 0;
  // One garbage collection pass now (node/gc.hpp); safe while the peer
  // serves, so `dfs gc` works on a running peer too.
  virtual Result<GcReport> collect_garbage(const GcOptions& options) = 0;
  // Asks the R closest live peers of each chunk of the file or tree `id` whether
  // they hold it. With `repair`, chunks short of R copies are first
  // placed again (read from this peer, else fetched), then asked again.
  virtual Result<FileLocation> locate(const FileId& id, bool repair) = 0;
  // The lease this peer holds on each of `ids` (nullopt: none), in their
  // order, counting leases granted but not yet written to the index: what
  // it keeps for other peers, until when, and whose renewals it takes.
  // At most kMaxLeaseQuery ids (Errc::too_large).
  virtual Result<std::vector<std::optional<HeldLease>>> leases(const std::vector<ChunkId>& ids) = 0;
};

}  // namespace dfs::node
