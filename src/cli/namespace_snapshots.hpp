// A mount's namespace snapshots (issue 15), as dfsmount runs them: the
// recovery key of the data directory, a PointerPublisher on the peer's DHT
// and a SnapshotScheduler on the filesystem's snapshot source.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
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

// The namespace snapshots of a running mount: started with the mount if
// its data directory has a recovery key, else as soon as one is made while
// it runs (`dfs recovery-key` then asks the mount for a snapshot: take_now()
// finds the key, starts the snapshots and hands the key's lease key to the
// peer through `use_lease_key`), so the key takes effect at once, not at
// the next mount. Thread-safe (mu_): control requests, and the unmount.
class MountSnapshots {
 public:
  using UseLeaseKey = std::function<Status(crypto::SigningKey)>;
  // `board` null (a lone peer) or `interval` 0: never any snapshots.
  // `source` and `index` must outlive it.
  MountSnapshots(std::string data_dir, dht::RecordBoard* board, std::chrono::milliseconds interval,
                 node::SnapshotSource source, index::Index& index, UseLeaseKey use_lease_key);

  // At mount: NamespaceSnapshots::start.
  Status start();
  // dfs snapshot: NamespaceSnapshots::take_now, starting them first if a
  // recovery key appeared since the mount. Errc::not_supported when the
  // mount takes none (no network, --snapshot-interval 0, no key).
  Result<node::SnapshotOutcome> take_now();
  // At unmount, after the filesystem's last requests: the last snapshot
  // (a failure is logged), then the snapshots stop.
  void finish();

 private:
  // mu_ held. Starts them if a recovery key is there now; whether running.
  Result<bool> start_if_keyed();

  const std::string data_dir_;
  dht::RecordBoard* const board_;
  const std::chrono::milliseconds interval_;
  const node::SnapshotSource source_;
  index::Index& index_;
  const UseLeaseKey use_lease_key_;
  std::mutex mu_;  // guards running_
  std::unique_ptr<NamespaceSnapshots> running_;
};

// How long a snapshot waits for the network to acknowledge its chunks
// (and those of the files closed before it) before it is published.
inline constexpr std::chrono::seconds kSnapshotPlacementWait{60};

// The mount's snapshot source: the whole namespace from the root, with the
// owner's metadata (SnapshotScope::namespace_backup), returned once
// another peer holds each of its chunks and of the files it names
// (FileSystem::wait_replicated). If that cannot be had within
// kSnapshotPlacementWait, an error: nothing is published, the previous
// pointer stays, and the scheduler tries again soon. `fs` must outlive it.
node::SnapshotSource namespace_source(fs::FileSystem& fs);

// --snapshot-interval SECONDS: 0 (off) up to a day.
Result<std::chrono::milliseconds> snapshot_interval_from(double seconds);

}  // namespace dfs::cli
