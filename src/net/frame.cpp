#include "dfs/net/frame.hpp"

#include <algorithm>
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

std::size_t FrameDecoder::partial_bytes() const {
  return prefix_.size() + header_.size() + current_.payload.size();
}

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
  if (header_len_ > kMaxHeaderSize) {
    return make_error(Errc::too_large, "frame header of " + std::to_string(header_len_) +
                                           " bytes exceeds the limit of " + std::to_string(kMaxHeaderSize));
  }
  if (payload_len_ > kMaxPayloadSize) {
    return make_error(Errc::too_large, "frame payload of " + std::to_string(payload_len_) +
                                           " bytes exceeds the limit of " + std::to_string(kMaxPayloadSize));
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
  // length is already checked against kMaxPayloadSize.
  current_.payload.reserve(payload_len_);
  stage_ = Stage::payload;
  return {};
}

void FrameDecoder::finish_frame(std::vector<Frame>& out) {
  out.push_back(std::move(current_));
  current_ = Frame{};
  prefix_.clear();
  header_.clear();
  stage_ = Stage::prefix;
}

Status FrameDecoder::feed(ByteView data, std::vector<Frame>& out) {
  if (failed_) return make_error(Errc::internal, "frame decoder used after an error");
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
      pos = take(data, pos, current_.payload, payload_len_);
      if (current_.payload.size() < payload_len_) break;
      finish_frame(out);
    }
    if (!status.ok()) {
      failed_ = true;
      return status;
    }
  }
  return {};
}

}  // namespace dfs::net
