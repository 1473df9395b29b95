// Frames: how Envelopes and raw payloads travel on a connection
// (DESIGN.md §4, "length-prefixed frames with a hard size limit").
//
//     version u8 | header_len u32 | payload_len u32 | header | payload
//
// Integers are little-endian, like every other dfs format. `header` is a
// protobuf-encoded wire::Envelope (wire.proto); `payload` is raw bytes (a
// sealed chunk for PutChunk and GetChunk's result, empty otherwise), so chunk
// data is never copied through protobuf.
//
// FrameDecoder is pure (no I/O, no clock): bytes in, frames or an error out,
// which is what lets it be fuzzed and tested byte by byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "dfs/chunk/sealed_chunk.hpp"
#include "dfs/util/bytes.hpp"
#include "wire.pb.h"

namespace dfs::net {

inline constexpr std::uint8_t kFrameVersion = 1;
inline constexpr std::size_t kFramePrefixSize = 1 + 4 + 4;
// An Envelope holds IDs, contacts and records, never chunk data: 64 KiB is
// room for a FIND_VALUE answer with k contacts and several records.
inline constexpr std::size_t kMaxHeaderSize = 64 * 1024;
// The largest payload is one sealed chunk of the largest chunk size.
inline constexpr std::size_t kMaxPayloadSize = kMaxSealedChunkSize;

struct Frame {
  wire::Envelope envelope;
  Bytes payload;
};

// The prefix and header of a frame carrying `payload_size` payload bytes
// (which the caller sends right after, without copying them here). Fails
// with Errc::too_large if the header or the payload exceeds its limit.
Result<Bytes> encode_frame_head(const wire::Envelope& envelope, std::size_t payload_size);

// A whole frame in one buffer (tests, fuzzing, small messages).
Result<Bytes> encode_frame(const wire::Envelope& envelope, ByteView payload);

// Incremental decoder for one connection's byte stream. Feed it what the
// socket returns, in pieces of any size; it hands back each frame as soon
// as its last byte arrives. Memory is bounded by the limits above: the
// payload buffer grows with the bytes received (at most 64 KiB ahead of
// them), not with the length a peer announces. Not thread-safe (one per
// connection, used by its reader).
//
// A payload can also be received without a copy: while one is arriving,
// payload_space() is where its next bytes go, and the connection reads the
// socket straight into it and calls payload_received() (a 1 MiB chunk
// otherwise went through a read buffer and was copied once more here).
class FrameDecoder {
 public:
  // Consumes all of `data`, appending the frames it completes to `out`.
  // On the first malformed frame it fails with
  //   bad_version  the frame's version byte is not kFrameVersion,
  //   too_large    header_len > kMaxHeaderSize or payload_len > kMaxPayloadSize,
  //   corrupt      the header is not a parsable Envelope,
  // naming the values, and stays failed: a byte stream cannot be
  // resynchronised after a bad frame. Frames completed before the bad one
  // are still appended to `out`.
  Status feed(ByteView data, std::vector<Frame>& out);
  // As feed(), but stops once it has completed `max_frames` frames;
  // `consumed` is how many bytes of `data` it used (the rest are for the
  // next call, e.g. after set_limits()).
  Status feed(ByteView data, std::vector<Frame>& out, std::size_t max_frames, std::size_t& consumed);

  // While a payload is arriving: room for its next bytes, inside the
  // frame's own payload buffer (at most the bytes still missing; may be
  // less, as the buffer grows with what arrived). Empty otherwise, and
  // then the bytes must go through feed().
  MutableByteView payload_space();
  // `n` bytes were written at the start of payload_space(); appends the
  // frame to `out` if that completed it.
  void payload_received(std::size_t n, std::vector<Frame>& out);

  // Limits for the frames still to come, at most kMaxHeaderSize and
  // kMaxPayloadSize (the default): before a peer has proved who it is, a
  // connection accepts only a small Hello without payload, so a stranger
  // cannot make it hold megabytes it announces.
  void set_limits(std::size_t max_header, std::size_t max_payload);

  // True if the decoder has failed.
  bool failed() const { return failed_; }
  // Bytes of a frame received so far but not yet complete (0 between
  // frames); lets a connection tell "idle" from "mid-frame".
  std::size_t partial_bytes() const;
  // Bytes of the current frame's payload not received yet (0 between
  // payloads and while a prefix or header arrives).
  std::size_t payload_missing() const { return stage_ == Stage::payload ? payload_len_ - payload_filled_ : 0; }

 private:
  enum class Stage { prefix, header, payload };

  std::size_t take(ByteView data, std::size_t pos, Bytes& into, std::size_t want);
  std::size_t take_payload(ByteView data, std::size_t pos, std::vector<Frame>& out);
  Status on_prefix_complete();
  Status on_header_complete();
  void finish_frame(std::vector<Frame>& out);

  Stage stage_ = Stage::prefix;
  bool failed_ = false;
  Bytes prefix_;
  Bytes header_;
  std::size_t max_header_ = kMaxHeaderSize;
  std::size_t max_payload_ = kMaxPayloadSize;
  std::uint32_t header_len_ = 0;
  std::uint32_t payload_len_ = 0;
  // Payload bytes received; current_.payload may be longer (room made
  // ahead for the next read) and is cut to this when the frame completes.
  std::size_t payload_filled_ = 0;
  Frame current_;
};

}  // namespace dfs::net
