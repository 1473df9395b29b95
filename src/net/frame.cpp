#include "dfs/net/frame.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

namespace dfs::net {

Result<Bytes> encode_frame_head(const wire::Envelope& envelope, std::size_t payload_size) {
  const std::size_t header_size = envelope.ByteSizeLong();
  if (header_size > kMaxHeaderSize) {
    return make_error(Errc::too_large, "frame header of " + std::to_string(header_size) +
                                           " bytes exceeds the limit of " + std::to_string(kMaxHeaderSize));
  }
  if (payload_size > kMaxPayloadSize) {
    return make_error(Errc::too_large, "frame payload of " + std::to_string(payload_size) +
                                           " bytes exceeds the limit of " + std::to_string(kMaxPayloadSize));
  }
  Bytes out;
  out.reserve(kFramePrefixSize + header_size);
  ByteWriter w(out);
  w.u8(kFrameVersion);
  w.u32(static_cast<std::uint32_t>(header_size));
  w.u32(static_cast<std::uint32_t>(payload_size));
  out.resize(kFramePrefixSize + header_size);
  if (!envelope.SerializeToArray(out.data() + kFramePrefixSize, static_cast<int>(header_size))) {
    return make_error(Errc::internal, "cannot serialize an Envelope");
  }
  return out;
}

Result<Bytes> encode_frame(const wire::Envelope& envelope, ByteView payload) {
  DFS_ASSIGN_OR_RETURN(Bytes out, encode_frame_head(envelope, payload.size()));
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

void FrameDecoder::set_limits(std::size_t max_header, std::size_t max_payload) {
  max_header_ = std::min(max_header, kMaxHeaderSize);
  max_payload_ = std::min(max_payload, kMaxPayloadSize);
}

std::size_t FrameDecoder::partial_bytes() const { return prefix_.size() + header_.size() + payload_filled_; }

// Moves up to `want - into.size()` bytes from data[pos..] into `into`;
// returns the new position.
std::size_t FrameDecoder::take(ByteView data, std::size_t pos, Bytes& into, std::size_t want) {
  const std::size_t n = std::min(want - into.size(), data.size() - pos);
  into.insert(into.end(), data.begin() + static_cast<std::ptrdiff_t>(pos),
              data.begin() + static_cast<std::ptrdiff_t>(pos + n));
  return pos + n;
}

Status FrameDecoder::on_prefix_complete() {
  ByteReader r(prefix_);
  const std::uint8_t version = r.u8("frame version").value();
  header_len_ = r.u32("frame header length").value();
  payload_len_ = r.u32("frame payload length").value();
  if (version != kFrameVersion) {
    return make_error(Errc::bad_version, "frame version " + std::to_string(version) + " is not supported (expected " +
                                             std::to_string(kFrameVersion) + ")");
  }
  if (header_len_ > max_header_) {
    return make_error(Errc::too_large, "frame header of " + std::to_string(header_len_) +
                                           " bytes exceeds the limit of " + std::to_string(max_header_));
  }
  if (payload_len_ > max_payload_) {
    return make_error(Errc::too_large, "frame payload of " + std::to_string(payload_len_) +
                                           " bytes exceeds the limit of " + std::to_string(max_payload_));
  }
  stage_ = Stage::header;
  return {};
}

Status FrameDecoder::on_header_complete() {
  if (!current_.envelope.ParseFromArray(header_.data(), static_cast<int>(header_.size()))) {
    return make_error(Errc::corrupt, "frame header of " + std::to_string(header_.size()) +
                                         " bytes is not a valid Envelope");
  }
  // The whole payload arrives in pieces of a TLS record: growing the
  // buffer by doubling would copy a 1 MiB chunk about twice more. The
  // length is already checked against kMaxPayloadSize; reserving touches
  // no memory, payload_space() fills it as bytes arrive.
  current_.payload.reserve(payload_len_);
  stage_ = Stage::payload;
  return {};
}

MutableByteView FrameDecoder::payload_space() {
  if (failed_ || stage_ != Stage::payload) return {};
  // Room for 64 KiB past what arrived, so that memory follows what the
  // peer really sent. A fixed step, not doubling: the buffer is zero-filled
  // as it grows (a std::vector), and zeroing 16 KiB ahead of each TLS
  // record keeps those bytes in cache for the record's decryption, where
  // steps of up to half the payload (doubling) zeroed memory that had left
  // the cache by the time TLS wrote it (the zero-fill was 4-9% of a remote
  // get's CPU).
  constexpr std::size_t kRoom = 64 * 1024;
  const std::size_t end = std::min<std::size_t>(payload_len_, payload_filled_ + kRoom);
  if (current_.payload.size() < end) current_.payload.resize(end);  // within the reserved capacity
  return MutableByteView(current_.payload).subspan(payload_filled_, end - payload_filled_);
}

void FrameDecoder::payload_received(std::size_t n, std::vector<Frame>& out) {
  payload_filled_ += n;
  if (payload_filled_ == payload_len_) finish_frame(out);
}

// Copies what `data` holds of the current payload into it.
std::size_t FrameDecoder::take_payload(ByteView data, std::size_t pos, std::vector<Frame>& out) {
  while (pos < data.size() && stage_ == Stage::payload && payload_filled_ < payload_len_) {
    MutableByteView space = payload_space();
    const std::size_t n = std::min(space.size(), data.size() - pos);
    std::memcpy(space.data(), data.data() + pos, n);
    pos += n;
    payload_received(n, out);
  }
  if (stage_ == Stage::payload && payload_filled_ == payload_len_) finish_frame(out);  // an empty payload
  return pos;
}

void FrameDecoder::finish_frame(std::vector<Frame>& out) {
  current_.payload.resize(payload_filled_);
  out.push_back(std::move(current_));
  current_ = Frame{};
  payload_filled_ = 0;
  prefix_.clear();
  header_.clear();
  stage_ = Stage::prefix;
}

Status FrameDecoder::feed(ByteView data, std::vector<Frame>& out) {
  std::size_t consumed = 0;
  return feed(data, out, SIZE_MAX, consumed);
}

Status FrameDecoder::feed(ByteView data, std::vector<Frame>& out, std::size_t max_frames, std::size_t& consumed) {
  consumed = 0;
  if (failed_) return make_error(Errc::internal, "frame decoder used after an error");
  const std::size_t frames_before = out.size();
  std::size_t pos = 0;
  // Each pass either consumes input or completes a stage, so this ends; a
  // frame with an empty header or payload completes without input.
  while (true) {
    Status status;
    if (stage_ == Stage::prefix) {
      if (pos == data.size()) break;
      pos = take(data, pos, prefix_, kFramePrefixSize);
      if (prefix_.size() < kFramePrefixSize) break;
      status = on_prefix_complete();
    } else if (stage_ == Stage::header) {
      pos = take(data, pos, header_, header_len_);
      if (header_.size() < header_len_) break;
      status = on_header_complete();
    } else {
      pos = take_payload(data, pos, out);
      if (stage_ == Stage::payload || out.size() - frames_before >= max_frames) break;
    }
    if (!status.ok()) {
      failed_ = true;
      consumed = pos;
      return status;
    }
  }
  consumed = pos;
  return {};
}

}  // namespace dfs::net
