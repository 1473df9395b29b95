#include "dfs/chunk/recovery_pointer.hpp"

#include <bit>

#include "dfs/chunk/sealed_chunk.hpp"

namespace dfs {

namespace {

constexpr std::size_t kEntrySize = 1 + crypto::kDigestSize + crypto::kKeySize + 8 + 8 + 8;

// 0 under a minute old, then one more per fourfold age.
int age_bucket(std::int64_t age_seconds) {
  const auto minutes = static_cast<std::uint64_t>(std::max<std::int64_t>(age_seconds, 0) / 60);
  return (std::bit_width(minutes) + 1) / 2;
}

}  // namespace

Bytes encode_pointer(const RecoveryPointer& pointer) {
  Bytes out;
  ByteWriter w(out);
  w.u8(kPointerFormatVersion);
  w.u8(static_cast<std::uint8_t>(pointer.snapshots.size()));
  for (const SnapshotRef& s : pointer.snapshots) {
    w.u8(static_cast<std::uint8_t>(s.root.kind));
    w.bytes(s.root.manifest.bytes);
    w.bytes(s.root.key.bytes());
    w.u64(static_cast<std::uint64_t>(s.taken_at));
    w.u64(s.files);
    w.u64(s.bytes);
  }
  return out;
}

Result<RecoveryPointer> decode_pointer(ByteView plaintext) {
  if (plaintext.size() > 2 + kMaxPointerSnapshots * kEntrySize) {
    return make_error(Errc::too_large, "a recovery pointer longer than its format allows");
  }
  ByteReader r(plaintext);
  DFS_ASSIGN_OR_RETURN(std::uint8_t version, r.u8("pointer version"));
  if (version != kPointerFormatVersion) {
    return make_error(Errc::bad_version, "recovery pointer format " + std::to_string(version) + " is unknown");
  }
  DFS_ASSIGN_OR_RETURN(std::uint8_t count, r.u8("pointer snapshot count"));
  if (count == 0 || count > kMaxPointerSnapshots) {
    return make_error(Errc::corrupt, "a recovery pointer lists " + std::to_string(count) + " snapshots");
  }
  RecoveryPointer out;
  for (std::uint8_t i = 0; i < count; ++i) {
    SnapshotRef s;
    DFS_ASSIGN_OR_RETURN(std::uint8_t kind, r.u8("snapshot kind"));
    if (kind != static_cast<std::uint8_t>(IdKind::directory)) {
      return make_error(Errc::corrupt, "a recovery pointer names something other than a directory");
    }
    s.root.kind = IdKind::directory;
    DFS_ASSIGN_OR_RETURN(s.root.manifest.bytes, r.array<crypto::kDigestSize>("snapshot manifest"));
    DFS_ASSIGN_OR_RETURN(auto key, r.array<crypto::kKeySize>("snapshot key"));
    s.root.key = crypto::SecretKey::from_bytes(key);
    DFS_ASSIGN_OR_RETURN(std::uint64_t taken_at, r.u64("snapshot time"));
    s.taken_at = static_cast<std::int64_t>(taken_at);
    DFS_ASSIGN_OR_RETURN(s.files, r.u64("snapshot files"));
    DFS_ASSIGN_OR_RETURN(s.bytes, r.u64("snapshot bytes"));
    out.snapshots.push_back(std::move(s));
  }
  DFS_TRY(r.expect_end("recovery pointer"));
  return out;
}

Bytes seal_pointer(const crypto::SecretKey& key, const RecoveryPointer& pointer) {
  return seal_chunk(key, ChunkKind::pointer, encode_pointer(pointer)).bytes;
}

Result<RecoveryPointer> open_pointer(const crypto::SecretKey& key, ByteView sealed) {
  DFS_ASSIGN_OR_RETURN(Bytes plaintext, decrypt_chunk(key, ChunkKind::pointer, sealed));
  return decode_pointer(plaintext);
}

RecoveryPointer add_snapshot(const RecoveryPointer& history, const SnapshotRef& latest) {
  RecoveryPointer out;
  out.snapshots.push_back(latest);
  int last_bucket = -1;
  for (const SnapshotRef& s : history.snapshots) {
    if (s.taken_at > latest.taken_at) continue;  // a clock that went back: drop the "future"
    const int bucket = age_bucket(latest.taken_at - s.taken_at);
    if (bucket == last_bucket) {
      out.snapshots.back() = s;  // the older of a bucket stays, so old trees survive
    } else {
      if (out.snapshots.size() == kMaxPointerSnapshots) break;
      out.snapshots.push_back(s);
      last_bucket = bucket;
    }
  }
  return out;
}

}  // namespace dfs
