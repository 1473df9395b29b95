#include "namespace_snapshots.hpp"

#include "dfs/util/log.hpp"

namespace dfs::cli {

Result<std::optional<std::unique_ptr<NamespaceSnapshots>>> NamespaceSnapshots::start(
    const std::string& data_dir, dht::RecordBoard* board, std::chrono::milliseconds interval,
    node::SnapshotSource source, index::Index& index) {
  const auto off = [&index]() -> Result<std::optional<std::unique_ptr<NamespaceSnapshots>>> {
    DFS_TRY(index.stop_retaining_snapshots());  // nothing kept for snapshots nobody takes
    return std::optional<std::unique_ptr<NamespaceSnapshots>>();
  };
  if (interval.count() == 0) {
    log::info("namespace snapshots are off (--snapshot-interval 0)");
    return off();
  }
  if (board == nullptr) {
    log::info("namespace snapshots are off: a lone peer has no DHT to publish them in");
    return off();
  }
  auto key = node::load_recovery_key(data_dir, false);
  if (!key.ok()) {
    if (key.error().code != Errc::not_found) return key.take_error();
    log::warn("namespace snapshots are off: " + key.error().message +
              "; without one, losing this machine loses the names of its files");
    return off();
  }
  std::unique_ptr<NamespaceSnapshots> snapshots(new NamespaceSnapshots(
      std::make_unique<node::PointerPublisher>(*key, *board, data_dir + "/" + node::kRecoveryStateFile)));
  node::PointerPublisher& publisher = *snapshots->publisher_;
  DFS_TRY(index.retain_snapshots(publisher.oldest_taken_at()));
  // Before each snapshot: the chunks only snapshots the pointer no longer
  // names needed are let go (the pointer thins its history as it goes).
  node::SnapshotSource retaining = [source = std::move(source), &index, &publisher]() -> Result<SnapshotRef> {
    auto dropped = index.retain_snapshots(publisher.oldest_taken_at());
    if (!dropped.ok()) return dropped.take_error();
    if (*dropped > 0) log::info("namespace snapshots: " + std::to_string(*dropped) + " chunks no kept snapshot names are let go");
    return source();
  };
  snapshots->scheduler_ = std::make_unique<node::SnapshotScheduler>(std::move(retaining), publisher, interval);
  return std::optional(std::move(snapshots));
}

MountSnapshots::MountSnapshots(std::string data_dir, dht::RecordBoard* board, std::chrono::milliseconds interval,
                               node::SnapshotSource source, index::Index& index, UseLeaseKey use_lease_key)
    : data_dir_(std::move(data_dir)),
      board_(board),
      interval_(interval),
      source_(std::move(source)),
      index_(index),
      use_lease_key_(std::move(use_lease_key)) {}

Status MountSnapshots::start() {
  std::lock_guard lock(mu_);
  DFS_ASSIGN_OR_RETURN(auto started, NamespaceSnapshots::start(data_dir_, board_, interval_, source_, index_));
  if (started) running_ = std::move(*started);
  return {};
}

Result<bool> MountSnapshots::start_if_keyed() {
  if (running_) return true;
  if (board_ == nullptr || interval_.count() == 0) return false;
  auto key = node::load_recovery_key(data_dir_, false);
  if (!key.ok()) {
    if (key.error().code == Errc::not_found) return false;
    return key.take_error();
  }
  DFS_ASSIGN_OR_RETURN(auto started, NamespaceSnapshots::start(data_dir_, board_, interval_, source_, index_));
  if (!started) return false;
  running_ = std::move(*started);
  // The chunks placed from now on carry it, and the repair rounds renew
  // the leases of the older ones with it (holders record it then).
  if (Status used = use_lease_key_(key->lease_key()); !used.ok()) {
    log::warn("the new recovery key's lease key is not in use yet: " + used.error().to_string());
  }
  log::info("a recovery key was made while mounted: namespace snapshots start now, and leases are renewed "
            "with its key");
  return true;
}

Result<node::SnapshotOutcome> MountSnapshots::take_now() {
  std::lock_guard lock(mu_);
  DFS_ASSIGN_OR_RETURN(bool running, start_if_keyed());
  if (!running) {
    return make_error(Errc::not_supported,
                      "this mount takes no namespace snapshots: that needs a network, a recovery key "
                      "(dfs recovery-key) and --snapshot-interval not 0");
  }
  return running_->take_now();
}

void MountSnapshots::finish() {
  std::lock_guard lock(mu_);
  if (!running_) return;
  // The last snapshot, so that a clean unmount loses nothing closed.
  auto last = running_->take_now();
  if (!last.ok()) log::warn("the last namespace snapshot failed: " + last.error().to_string());
  running_.reset();  // its thread uses the filesystem
}

node::SnapshotSource namespace_source(fs::FileSystem& fs) {
  return [&fs]() -> Result<SnapshotRef> {
    DFS_ASSIGN_OR_RETURN(fs::DirectorySnapshot taken, fs.snapshot(fs::kRootIno, fs::SnapshotScope::namespace_backup));
    // Published only once another peer holds each of its chunks and of
    // those of every file it names: a pointer to chunks that exist on
    // this machine alone would recover nothing if the machine were lost now.
    if (Status placed = fs.wait_replicated(kSnapshotPlacementWait); !placed.ok()) {
      return make_error(placed.error().code, "not published yet: " + placed.error().message +
                                                 "; a recovery finds the last snapshot published, and this one is "
                                                 "tried again soon");
    }
    SnapshotRef ref;
    ref.root = taken.id;
    ref.files = taken.files;
    ref.bytes = taken.size;
    return ref;
  };
}

Result<std::chrono::milliseconds> snapshot_interval_from(double seconds) {
  if (!(seconds >= 0 && seconds <= 86400)) {
    return make_error(Errc::invalid_argument, "--snapshot-interval must be between 0 (off) and 86400 seconds");
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
}

}  // namespace dfs::cli
