#include "namespace_recovery.hpp"

#include <time.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <chrono>
#include <thread>

#include "cli_util.hpp"
#include "dfs/util/log.hpp"

namespace dfs::cli {

namespace {

// Lookups before concluding that the network holds no pointer for a key.
constexpr int kPointerLookups = 3;
// How long a new peer may take to join through its bootstrap peers.
constexpr auto kJoinDeadline = std::chrono::seconds(30);
constexpr auto kJoinPoll = std::chrono::milliseconds(50);

Status await_join(p2p::Peer& peer) {
  const auto deadline = std::chrono::steady_clock::now() + kJoinDeadline;
  while (peer.status().peers == 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return make_error(Errc::unavailable, "no bootstrap peer answered within " +
                                               std::to_string(kJoinDeadline.count()) + " s: cannot look for snapshots");
    }
    std::this_thread::sleep_for(kJoinPoll);
  }
  return {};
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

std::optional<std::int64_t> parse_local_time(const std::string& when) {
  for (const char* format : {"%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"}) {
    struct tm tm{};
    const char* end = ::strptime(when.c_str(), format, &tm);
    if (end == nullptr || *end != '\0') continue;
    tm.tm_isdst = -1;
    const time_t t = ::mktime(&tm);
    if (t != static_cast<time_t>(-1)) return static_cast<std::int64_t>(t);
  }
  return std::nullopt;
}

// Keeps the key in the data directory (as dfs recovery-key would have made
// it), refusing a data directory that has another one.
Status keep_key(const std::string& data_dir, const crypto::RecoveryKey& key) {
  auto existing = node::load_recovery_key(data_dir, false);
  if (existing.ok()) {
    if (existing->secret() != key.secret()) {
      return make_error(Errc::already_exists, data_dir + " has another recovery key: recover on a new data directory");
    }
    return {};
  }
  if (existing.error().code != Errc::not_found) return existing.take_error();
  return node::export_recovery_key(key, data_dir + "/" + node::kRecoveryKeyFile);
}

}  // namespace

Result<SnapshotChoice> parse_snapshot_choice(const std::string& when) {
  SnapshotChoice choice;
  if (all_digits(when) && when.size() <= 2) {
    choice.position = static_cast<std::size_t>(std::stoul(when));
    return choice;
  }
  if (when.size() > 1 && when[0] == '@' && all_digits(when.substr(1)) && when.size() <= 19) {
    choice.not_after = std::stoll(when.substr(1));
    return choice;
  }
  if (auto t = parse_local_time(when)) {
    choice.not_after = *t;
    return choice;
  }
  return make_error(Errc::invalid_argument, "--at: \"" + when +
                                                "\" is neither a snapshot's number (0 the latest) nor a time "
                                                "(YYYY-MM-DD HH:MM[:SS], or @SECONDS)");
}

Result<SnapshotRef> choose_snapshot(const RecoveryPointer& pointer, const SnapshotChoice& choice) {
  const auto& all = pointer.snapshots;  // newest first
  if (choice.position) {
    if (*choice.position >= all.size()) {
      return make_error(Errc::not_found, "there are " + std::to_string(all.size()) + " snapshots (0 to " +
                                             std::to_string(all.size() - 1) + "), not " +
                                             std::to_string(*choice.position));
    }
    return all[*choice.position];
  }
  if (choice.not_after) {
    for (const SnapshotRef& s : all) {
      if (s.taken_at <= *choice.not_after) return s;
    }
    return make_error(Errc::not_found, "no snapshot was taken at or before " + local_time(*choice.not_after) +
                                           " (the oldest is of " + local_time(all.back().taken_at) + ")");
  }
  return all.front();
}

Result<node::FoundPointer> find_snapshots(const crypto::RecoveryKey& key, p2p::Peer& peer) {
  DFS_TRY(await_join(peer));
  Result<node::FoundPointer> found = make_error(Errc::not_found, "no lookup made");
  for (int attempt = 0; attempt < kPointerLookups; ++attempt) {
    found = node::find_pointer(key, peer);
    if (found.ok() || found.error().code != Errc::not_found) break;
  }
  if (found.ok() && found->pointer.snapshots.empty()) {
    return make_error(Errc::corrupt, "the recovery pointer lists no snapshot");
  }
  return found;
}

std::string describe_snapshots(const RecoveryPointer& pointer) {
  std::string out;
  for (std::size_t i = 0; i < pointer.snapshots.size(); ++i) {
    const SnapshotRef& s = pointer.snapshots[i];
    out += std::to_string(i) + "  " + local_time(s.taken_at) + "  " + std::to_string(s.files) + " files  " +
           human_bytes(s.bytes) + "\n";
  }
  return out;
}

Result<std::string> recover_namespace(const std::string& data_dir, const std::string& key_file,
                                      const std::optional<std::string>& at, p2p::Peer& peer, fs::FileSystem& fs) {
  DFS_ASSIGN_OR_RETURN(const crypto::RecoveryKey key, node::read_recovery_key_file(key_file));
  SnapshotChoice choice;
  if (at) {
    DFS_ASSIGN_OR_RETURN(choice, parse_snapshot_choice(*at));
  }
  DFS_ASSIGN_OR_RETURN(const node::FoundPointer found, find_snapshots(key, peer));
  DFS_ASSIGN_OR_RETURN(const SnapshotRef chosen, choose_snapshot(found.pointer, choice));
  DFS_ASSIGN_OR_RETURN(const fs::RestoreSummary restored, fs.restore(chosen.root));
  DFS_TRY(keep_key(data_dir, key));
  node::PointerPublisher publisher(key, peer, data_dir + "/" + node::kRecoveryStateFile);
  DFS_TRY(publisher.adopt(found));
  std::string said = "recovered the namespace as of its snapshot of " + local_time(chosen.taken_at) + ": " +
                     std::to_string(restored.files) + " files (" + human_bytes(restored.bytes) + "), " +
                     std::to_string(restored.directories) + " directories, " + std::to_string(restored.others) +
                     " links and special files; whatever the lost machine changed after it is lost";
  log::info(said);
  return said;
}

}  // namespace dfs::cli
