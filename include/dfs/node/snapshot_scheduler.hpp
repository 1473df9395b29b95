// SnapshotScheduler: when a mount's namespace is snapshotted and published
// (issue 15). It asks a SnapshotSource for the root's snapshot (dfsmount's
// source is FileSystem::snapshot(root, namespace_backup), which re-seals
// only the directories that changed and answers at once when nothing did)
// and publishes each new root through a PointerPublisher:
//
//   - every `interval` on a thread of its own: a namespace with no activity
//     since the last snapshot yields the same root, which is not published
//     again, so an idle mount costs one cheap call per interval;
//   - on demand (`dfs snapshot` over the control socket): take_now();
//   - at unmount: dfsmount calls take_now() after the filesystem committed
//     its open files, then destroys the scheduler.
//
// A source failure (the network has not placed every chunk yet, see
// cli::namespace_source) is logged and the thread tries again sooner than
// the interval: after kSnapshotRetryFirst, doubling up to the interval.
// Meanwhile the last published snapshot stays the one a recovery finds.
//
// Threading: take_now() may be called from any thread; one snapshot runs
// at a time (mu_), so the thread and a `dfs snapshot` never publish two
// sequences for one root.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "dfs/node/recovery.hpp"

namespace dfs::node {

// Takes a snapshot of the namespace's root: its ID, file count and bytes
// (taken_at is filled by the scheduler).
using SnapshotSource = std::function<Result<SnapshotRef>()>;

inline constexpr std::chrono::seconds kDefaultSnapshotInterval{60};
inline constexpr std::chrono::seconds kSnapshotRetryFirst{5};

struct SnapshotOutcome {
  SnapshotRef snapshot;
  bool published = false;  // false: the root had not changed since the last one
  std::uint64_t sequence = 0;  // the pointer's sequence now
};

class SnapshotScheduler {
 public:
  // `interval` 0: no thread, snapshots only on take_now(). `clock` stamps
  // taken_at.
  SnapshotScheduler(SnapshotSource source, PointerPublisher& publisher, std::chrono::milliseconds interval,
                    UnixClock clock = unix_seconds);
  ~SnapshotScheduler();  // stops the thread (no last snapshot: see above)
  SnapshotScheduler(const SnapshotScheduler&) = delete;
  SnapshotScheduler& operator=(const SnapshotScheduler&) = delete;

  // Takes a snapshot now and publishes it if its root is new, or if
  // `republish` (the first one after a mount starts: the DHT's republish
  // schedule died with the last process).
  Result<SnapshotOutcome> take_now(bool republish = false);

 private:
  void run();

  const SnapshotSource source_;
  PointerPublisher& publisher_;
  const std::chrono::milliseconds interval_;
  const UnixClock clock_;
  std::mutex take_mu_;          // one snapshot at a time; guards last_root_
  std::optional<FileId> last_root_;
  std::mutex mu_;               // guards stopping_
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once the rest is set
};

}  // namespace dfs::node
