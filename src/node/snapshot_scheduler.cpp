#include "dfs/node/snapshot_scheduler.hpp"

#include <algorithm>

#include "dfs/util/log.hpp"

namespace dfs::node {

namespace {

// A record no node took yet is still republished by the board
// (dht/record_board.hpp): the snapshot counts as published, with a note.
Status published_or_queued(Status published) {
  if (published.ok() || published.error().code != Errc::unavailable) return published;
  log::warn("namespace snapshot: " + published.error().message + "; the DHT keeps republishing it");
  return {};
}

}  // namespace

SnapshotScheduler::SnapshotScheduler(SnapshotSource source, PointerPublisher& publisher,
                                     std::chrono::milliseconds interval, UnixClock clock)
    : source_(std::move(source)), publisher_(publisher), interval_(interval), clock_(std::move(clock)) {
  if (auto latest = publisher_.latest()) last_root_ = latest->root;
  if (interval_.count() > 0) thread_ = std::thread([this] { run(); });
}

SnapshotScheduler::~SnapshotScheduler() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<SnapshotOutcome> SnapshotScheduler::take_now(bool republish) {
  std::lock_guard lock(take_mu_);
  // Stamped when it starts: whatever the namespace released before this
  // second cannot be in it, whatever after may be (retention counts on it).
  const std::int64_t started = clock_();
  DFS_ASSIGN_OR_RETURN(SnapshotRef snapshot, source_());
  snapshot.taken_at = started;
  SnapshotOutcome outcome{snapshot, false, 0};
  if (last_root_ != snapshot.root) {
    DFS_TRY(published_or_queued(publisher_.publish(snapshot)));
    last_root_ = snapshot.root;
    outcome.published = true;
    log::info("namespace snapshot published: " + std::to_string(snapshot.files) + " files, " +
              std::to_string(snapshot.bytes) + " bytes");
  } else if (republish) {
    DFS_TRY(published_or_queued(publisher_.republish()));
    outcome.published = true;
  }
  outcome.sequence = publisher_.sequence();
  return outcome;
}

void SnapshotScheduler::run() {
  bool republish = true;  // the first one: see take_now()
  std::chrono::milliseconds wait = interval_;
  std::unique_lock lock(mu_);
  while (!wake_.wait_for(lock, wait, [this] { return stopping_; })) {
    lock.unlock();
    auto taken = take_now(republish);
    if (taken.ok()) {
      republish = false;
      wait = interval_;
    } else {
      // Sooner than the interval, backing off: a failure is most often
      // peers that refused for a while (busy, or not yet reachable).
      wait = wait == interval_ ? std::chrono::milliseconds(kSnapshotRetryFirst) : wait * 2;
      wait = std::min(wait, interval_);
      log::warn("namespace snapshot not published: " + taken.error().to_string() +
                "; the previous pointer stays, tried again in " + std::to_string(wait.count() / 1000) + " s");
    }
    lock.lock();
  }
}

}  // namespace dfs::node
