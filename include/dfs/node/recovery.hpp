// Recovery pointer publishing and lookup (issue 15). The namespace's latest
// root snapshot is named by a record in the DHT that only the recovery key
// can write (dht/signed_record.hpp) or read (chunk/recovery_pointer.hpp).
//
// Files in the data directory:
//   recovery.key      the recovery key, file form (mode 0600), made once by
//                     `dfs recovery-key`; snapshots are published only
//                     while it exists
//   recovery.state    the last published sequence and pointer, so the next
//                     publish keeps the history and never reuses a sequence
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "dfs/chunk/recovery_pointer.hpp"
#include "dfs/crypto/recovery_key.hpp"
#include "dfs/dht/record_board.hpp"
#include "dfs/node/leases.hpp"
#include "dfs/util/clock.hpp"

namespace dfs::node {

inline constexpr const char* kRecoveryKeyFile = "recovery.key";
inline constexpr const char* kRecoveryStateFile = "recovery.state";
// How long the pointer record lives without a republish: as long as the
// chunks it names (node/leases.hpp), so both outlive a lost machine.
inline constexpr auto kPointerTtlSeconds = static_cast<std::uint32_t>(kDefaultLeaseLength.count());

// The key in DATA_DIR/recovery.key, made (mode 0600) if `create` and there
// is none. Errc::not_found when there is none and !create.
Result<crypto::RecoveryKey> load_recovery_key(const std::string& data_dir, bool create);
// A key file given by the user (`dfsmount --recover FILE`, `-` for stdin
// is the caller's job): at most 4 KiB, file or printable form.
Result<crypto::RecoveryKey> read_recovery_key_file(const std::string& path);

// Writes the key's file form to a new file `path` (never over an existing
// one), mode 0600.
Status export_recovery_key(const crypto::RecoveryKey& key, const std::string& path);

// What DATA_DIR/recovery.state holds: the last sequence this data
// directory signed and the pointer it published (`dfs status` shows its
// latest snapshot). Errc::not_found when there is none yet, Errc::corrupt
// when it is damaged.
struct RecoveryState {
  std::uint64_t sequence = 0;
  RecoveryPointer pointer;  // empty: none published yet
};
Result<RecoveryState> read_recovery_state(const std::string& state_path);

struct FoundPointer {
  RecoveryPointer pointer;
  std::uint64_t sequence = 0;
};

// The latest pointer the network holds for `key`: the highest verified
// sequence, opened with the key. Errc::not_found when the network holds
// none (a wrong key finds nothing); Errc::corrupt for a sequence below
// `at_least` (a rollback) or one that does not open.
Result<FoundPointer> find_pointer(const crypto::RecoveryKey& key, dht::RecordBoard& board,
                                  std::uint64_t at_least = 0);

// Publishes a namespace's snapshots. Thread-safe (one mutex around publish).
class PointerPublisher {
 public:
  // `state_path`: DATA_DIR/recovery.state (read now; a missing or damaged
  // one starts an empty history).
  PointerPublisher(crypto::RecoveryKey key, dht::RecordBoard& board, std::string state_path,
                   UnixClock clock = unix_seconds);

  // Publishes `latest` in front of the history, under a sequence above
  // every one published or seen (at least the clock in milliseconds, so a
  // machine that lost its state still goes forward), then saves the state.
  Status publish(const SnapshotRef& latest);
  // Publishes the same history again under a new sequence: a mount that
  // starts anew republishes what its last process did (the DHT's republish
  // schedule died with that process). A no-op with no history.
  Status republish();
  // The latest snapshot published (or adopted), if any.
  std::optional<SnapshotRef> latest() const;
  // A pointer found in the network (after a recovery): the next publish
  // goes above its sequence and keeps its history.
  Status adopt(const FoundPointer& found);

  std::uint64_t sequence() const;
  // When the oldest snapshot the pointer still names was taken: what the
  // index must keep chunks for (Index::retain_snapshots). nullopt: none.
  std::optional<std::int64_t> oldest_taken_at() const;

 private:
  Status save_state();
  // Signs `next` under a sequence above every one used and publishes it
  // (mu_ held).
  Status publish_locked(RecoveryPointer next);

  const crypto::RecoveryKey key_;
  const crypto::SigningKey signer_;
  dht::RecordBoard& board_;
  const std::string state_path_;
  const UnixClock clock_;
  mutable std::mutex mu_;  // guards sequence_ and pointer_
  std::uint64_t sequence_ = 0;
  RecoveryPointer pointer_;
};

}  // namespace dfs::node
