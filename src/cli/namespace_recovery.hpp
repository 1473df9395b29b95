// Recovering a namespace on a new machine (issue 15): finding the
// recovery pointer a key names in the DHT, choosing one of its snapshots
// (`--at`), and rebuilding the mount's namespace from it (dfsmount
// --recover). `dfs recover` lists the snapshots the same way.
#pragma once

#include <optional>
#include <string>

#include "dfs/dht/record_board.hpp"
#include "dfs/fs/filesystem.hpp"
#include "dfs/node/recovery.hpp"
#include "dfs/p2p/peer.hpp"

namespace dfs::cli {

// --at WHEN: a small number N (the N-th newest snapshot, 0 the latest, as
// `dfs recover --list` numbers them), else a time ("YYYY-MM-DD HH:MM[:SS]"
// or "YYYY-MM-DDTHH:MM[:SS]", local time; "@SECONDS" since the epoch): the
// newest snapshot taken at or before it. Errc::invalid_argument for what
// is neither.
struct SnapshotChoice {
  std::optional<std::size_t> position;
  std::optional<std::int64_t> not_after;  // Unix seconds
};
Result<SnapshotChoice> parse_snapshot_choice(const std::string& when);
// Errc::not_found when no snapshot of the pointer fits.
Result<SnapshotRef> choose_snapshot(const RecoveryPointer& pointer, const SnapshotChoice& choice);

// The pointer for `key` in the network, once `peer` has joined it (its
// bootstrap runs in the background: a lookup before it knows anyone finds
// nothing), with a few lookups. Errc::not_found says the key names no
// snapshot (a wrong key recovers nothing); Errc::unavailable that no peer
// answered the bootstrap.
Result<node::FoundPointer> find_snapshots(const crypto::RecoveryKey& key, p2p::Peer& peer);

// One line per snapshot: "N  TIME  FILES files  SIZE".
std::string describe_snapshots(const RecoveryPointer& pointer);

// dfsmount --recover KEYFILE [--at WHEN]: rebuilds `fs`'s (empty)
// namespace from the chosen snapshot, keeps the key in DATA/recovery.key
// and adopts the pointer, so that the mount's next snapshot goes on from
// its sequence and history. Returns a line saying what was recovered.
Result<std::string> recover_namespace(const std::string& data_dir, const std::string& key_file,
                                      const std::optional<std::string>& at, p2p::Peer& peer, fs::FileSystem& fs);

}  // namespace dfs::cli
