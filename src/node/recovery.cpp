#include "dfs/node/recovery.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "dfs/dht/signed_record.hpp"
#include "dfs/util/file.hpp"
#include "dfs/util/log.hpp"

namespace dfs::node {

namespace {

constexpr std::size_t kMaxKeyFileSize = 4096;
constexpr std::uint8_t kStateVersion = 1;
constexpr std::size_t kMaxStateSize = 9 + 2048;  // version, sequence, a pointer of kMaxPointerSnapshots

Result<Bytes> read_small_file(const std::string& path, std::size_t limit) {
  DFS_ASSIGN_OR_RETURN(UniqueFd fd, open_file(path, O_RDONLY));
  Bytes data(limit + 1);
  DFS_ASSIGN_OR_RETURN(std::size_t n, read_full(fd.get(), data, path));
  if (n > limit) return make_error(Errc::too_large, path + " is larger than " + std::to_string(limit) + " bytes");
  data.resize(n);
  return data;
}

// Writes `data` to `path` through a temporary file and a rename, so a crash
// leaves the old contents or the new, never a mix.
Status write_atomically(const std::string& path, ByteView data, int mode) {
  const std::string tmp = path + ".tmp";
  {
    DFS_ASSIGN_OR_RETURN(UniqueFd fd, open_file(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode));
    if (::fchmod(fd.get(), static_cast<mode_t>(mode)) != 0) return errno_error("cannot chmod " + tmp);
    DFS_TRY(write_full(fd.get(), data, tmp));
    DFS_TRY(fsync_fd(fd.get(), tmp));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) return errno_error("cannot rename " + tmp + " to " + path);
  const auto slash = path.rfind('/');
  return fsync_dir(slash == std::string::npos ? "." : path.substr(0, slash));
}

}  // namespace

Result<crypto::RecoveryKey> read_recovery_key_file(const std::string& path) {
  DFS_ASSIGN_OR_RETURN(Bytes data, read_small_file(path, kMaxKeyFileSize));
  auto key = crypto::RecoveryKey::parse_file(std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
  std::fill(data.begin(), data.end(), std::uint8_t{0});
  if (!key.ok()) return make_error(key.error().code, path + ": " + key.error().message);
  return key;
}

Result<crypto::RecoveryKey> load_recovery_key(const std::string& data_dir, bool create) {
  const std::string path = data_dir + "/" + kRecoveryKeyFile;
  if (::access(path.c_str(), F_OK) == 0) return read_recovery_key_file(path);
  if (!create) return make_error(Errc::not_found, "no recovery key in " + data_dir + " (make one with dfs recovery-key)");
  const auto key = crypto::RecoveryKey::generate();
  const std::string text = key.to_file_text();
  DFS_TRY(write_atomically(path, as_bytes(text), 0600));
  log::info("made a recovery key in " + path);
  return key;
}

Status export_recovery_key(const crypto::RecoveryKey& key, const std::string& path) {
  const std::string text = key.to_file_text();
  DFS_ASSIGN_OR_RETURN(UniqueFd fd, open_file(path, O_WRONLY | O_CREAT | O_EXCL, 0600));
  if (::fchmod(fd.get(), 0600) != 0) return errno_error("cannot chmod " + path);  // whatever the umask
  DFS_TRY(write_full(fd.get(), as_bytes(text), path));
  return fsync_fd(fd.get(), path);
}

Result<RecoveryState> read_recovery_state(const std::string& state_path) {
  if (::access(state_path.c_str(), F_OK) != 0) return make_error(Errc::not_found, "no " + state_path);
  DFS_ASSIGN_OR_RETURN(Bytes data, read_small_file(state_path, kMaxStateSize));
  ByteReader r(data);
  auto version = r.u8("state version");
  auto sequence = r.u64("state sequence");
  if (!version.ok() || *version != kStateVersion || !sequence.ok()) {
    return make_error(Errc::corrupt, state_path + " is damaged");
  }
  RecoveryState state;
  state.sequence = *sequence;
  if (r.remaining() > 0) {
    auto rest = r.bytes(r.remaining(), "state pointer");
    auto pointer = decode_pointer(*rest);
    if (!pointer.ok()) return make_error(Errc::corrupt, state_path + ": " + pointer.error().message);
    state.pointer = std::move(*pointer);
  }
  return state;
}

Result<FoundPointer> find_pointer(const crypto::RecoveryKey& key, dht::RecordBoard& board, std::uint64_t at_least) {
  const crypto::SigningKey signer = key.signing_key();
  auto records = board.find(dht::signed_record_key(signer.public_key()));
  if (!records.ok()) {
    if (records.error().code == Errc::not_found) {
      return make_error(Errc::not_found, "the network holds no snapshot for this recovery key (a wrong key, or "
                                         "no snapshot was ever published with it)");
    }
    return records.take_error();
  }
  DFS_ASSIGN_OR_RETURN(dht::SignedValue value, dht::latest_signed(*records, signer.public_key(), at_least));
  auto pointer = open_pointer(key.pointer_key(), value.payload);
  if (!pointer.ok()) return make_error(Errc::corrupt, "the recovery pointer does not open: " + pointer.error().message);
  return FoundPointer{std::move(*pointer), value.sequence};
}

PointerPublisher::PointerPublisher(crypto::RecoveryKey key, dht::RecordBoard& board, std::string state_path,
                                   UnixClock clock)
    : key_(std::move(key)),
      signer_(key_.signing_key()),
      board_(board),
      state_path_(std::move(state_path)),
      clock_(std::move(clock)) {
  auto state = read_recovery_state(state_path_);
  if (!state.ok()) {
    if (state.error().code != Errc::not_found) {
      log::warn(state_path_ + " is damaged; the next snapshot starts a new history");
    }
    return;
  }
  sequence_ = state->sequence;
  pointer_ = std::move(state->pointer);
}

std::uint64_t PointerPublisher::sequence() const {
  std::lock_guard lock(mu_);
  return sequence_;
}

Status PointerPublisher::adopt(const FoundPointer& found) {
  std::lock_guard lock(mu_);
  sequence_ = std::max(sequence_, found.sequence);
  pointer_ = found.pointer;
  return save_state();
}

Status PointerPublisher::publish(const SnapshotRef& latest) {
  std::lock_guard lock(mu_);
  return publish_locked(add_snapshot(pointer_, latest));
}

Status PointerPublisher::republish() {
  std::lock_guard lock(mu_);
  if (pointer_.snapshots.empty()) return {};
  return publish_locked(pointer_);
}

std::optional<std::int64_t> PointerPublisher::oldest_taken_at() const {
  std::lock_guard lock(mu_);
  if (pointer_.snapshots.empty()) return std::nullopt;
  return pointer_.snapshots.back().taken_at;
}

std::optional<SnapshotRef> PointerPublisher::latest() const {
  std::lock_guard lock(mu_);
  if (pointer_.snapshots.empty()) return std::nullopt;
  return pointer_.snapshots.front();
}

Status PointerPublisher::publish_locked(RecoveryPointer next) {
  const auto clock_ms = static_cast<std::uint64_t>(std::max<std::int64_t>(clock_(), 0)) * 1000;
  const std::uint64_t sequence = std::max(sequence_ + 1, clock_ms);
  DFS_ASSIGN_OR_RETURN(Bytes value,
                       dht::encode_signed_value(signer_, sequence, seal_pointer(key_.pointer_key(), next)));
  dht::Record record{dht::signed_record_key(signer_.public_key()), std::move(value), kPointerTtlSeconds, {}};
  // Saved first: a sequence once used is never signed again for other contents.
  sequence_ = sequence;
  pointer_ = std::move(next);
  DFS_TRY(save_state());
  return board_.publish(std::move(record));
}

Status PointerPublisher::save_state() {
  Bytes data;
  ByteWriter w(data);
  w.u8(kStateVersion);
  w.u64(sequence_);
  w.bytes(encode_pointer(pointer_.snapshots.empty() ? RecoveryPointer{} : pointer_));
  if (pointer_.snapshots.empty()) data.resize(9);
  return write_atomically(state_path_, data, 0600);
}

}  // namespace dfs::node
