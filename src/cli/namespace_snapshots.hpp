// A mount's namespace snapshots (issue 15), as dfsmount runs them: the
// recovery key of the data directory, a PointerPublisher on the peer's DHT
// and a SnapshotScheduler on the filesystem's snapshot source.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "dfs/dht/record_board.hpp"
#include "dfs/fs/filesystem.hpp"
#include "dfs/index/index.hpp"
#include "dfs/node/snapshot_scheduler.hpp"

namespace dfs::cli {

class NamespaceSnapshots {
 public:
  // Starts them when the mount can take them: `board` (a network: the
  // pointer lives in its DHT), a recovery key in `data_dir` and an
  // `interval` above 0. nullopt otherwise, with a log line that says why
  // (so a mount with snapshots off behaves as one without this feature).
  // While they run, `index` keeps the chunks of every snapshot the pointer
  // still names (Index::retain_snapshots, brought up to date before each
  // snapshot); off, it keeps none.
  static Result<std::optional<std::unique_ptr<NamespaceSnapshots>>> start(const std::string& data_dir,
                                                                         dht::RecordBoard* board,
                                                                         std::chrono::milliseconds interval,
                                                                         node::SnapshotSource source,
                                                                         index::Index& index);

  // dfs snapshot, and the last one at unmount.
  Result<node::SnapshotOutcome> take_now() { return scheduler_->take_now(); }

 private:
  explicit NamespaceSnapshots(std::unique_ptr<node::PointerPublisher> publisher) : publisher_(std::move(publisher)) {}

  std::unique_ptr<node::PointerPublisher> publisher_;
  std::unique_ptr<node::SnapshotScheduler> scheduler_;  // after publisher_: stops first
};

// How long a snapshot waits for the network to acknowledge its chunks
// (and those of the files closed before it) before it is published.
inline constexpr std::chrono::seconds kSnapshotPlacementWait{60};

// The mount's snapshot source: the whole namespace from the root, with the
// owner's metadata (SnapshotScope::namespace_backup), returned once the
// network acknowledged its chunks (FileSystem::wait_replicated; an error
// after kSnapshotPlacementWait, and the scheduler tries again at the next
// interval). `fs` must outlive it.
node::SnapshotSource namespace_source(fs::FileSystem& fs);

// --snapshot-interval SECONDS: 0 (off) up to a day.
Result<std::chrono::milliseconds> snapshot_interval_from(double seconds);

}  // namespace dfs::cli
