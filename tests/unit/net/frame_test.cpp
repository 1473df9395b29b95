#include "dfs/net/frame.hpp"

#include <gtest/gtest.h>

namespace dfs::net {
namespace {

wire::Envelope find_node(std::uint64_t request_id) {
  wire::Envelope env;
  env.set_request_id(request_id);
  env.mutable_sender()->set_address("127.0.0.1:4001");
  env.mutable_find_node()->set_target(std::string(32, '\x7f'));
  return env;
}

Bytes frame_of(const wire::Envelope& env, const Bytes& payload = {}) {
  auto bytes = encode_frame(env, payload);
  EXPECT_TRUE(bytes.ok());
  return *bytes;
}

// A prefix announcing the given lengths, with nothing after it.
Bytes prefix(std::uint8_t version, std::uint32_t header_len, std::uint32_t payload_len) {
  Bytes out;
  ByteWriter w(out);
  w.u8(version);
  w.u32(header_len);
  w.u32(payload_len);
  return out;
}

TEST(Frame, PrefixIsVersionThenLittleEndianLengths) {
  const Bytes payload{1, 2, 3};
  const Bytes bytes = frame_of(find_node(9), payload);
  const std::size_t header_len = find_node(9).ByteSizeLong();
  ASSERT_EQ(bytes.size(), kFramePrefixSize + header_len + 3);
  EXPECT_EQ(bytes[0], kFrameVersion);
  EXPECT_EQ(bytes[1], header_len & 0xff);
  EXPECT_EQ(bytes[2], 0);
  EXPECT_EQ(bytes[5], 3);
  EXPECT_EQ(bytes[6], 0);
  EXPECT_EQ(Bytes(bytes.end() - 3, bytes.end()), payload);
}

TEST(FrameDecoder, RoundTripsHeaderAndPayload) {
  FrameDecoder decoder;
  std::vector<Frame> frames;
  const Bytes payload(1000, 0xab);
  ASSERT_TRUE(decoder.feed(frame_of(find_node(7), payload), frames).ok());
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].envelope.request_id(), 7u);
  EXPECT_EQ(frames[0].envelope.find_node().target(), std::string(32, '\x7f'));
  EXPECT_EQ(frames[0].payload, payload);
  EXPECT_EQ(decoder.partial_bytes(), 0u);
}

TEST(FrameDecoder, DecodesFramesFedOneByteAtATime) {
  Bytes stream = frame_of(find_node(1), Bytes(300, 1));
  const Bytes second = frame_of(find_node(2));
  stream.insert(stream.end(), second.begin(), second.end());
  wire::Envelope empty;  // header_len 0 and payload_len 0 are legal
  const Bytes third = frame_of(empty);
  stream.insert(stream.end(), third.begin(), third.end());

  FrameDecoder decoder;
  std::vector<Frame> frames;
  for (std::uint8_t byte : stream) ASSERT_TRUE(decoder.feed(ByteView(&byte, 1), frames).ok());
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].envelope.request_id(), 1u);
  EXPECT_EQ(frames[0].payload.size(), 300u);
  EXPECT_EQ(frames[1].envelope.request_id(), 2u);
  EXPECT_TRUE(frames[1].payload.empty());
  EXPECT_EQ(frames[2].envelope.body_case(), wire::Envelope::BODY_NOT_SET);
}

TEST(FrameDecoder, WaitsForTheRestOfATruncatedFrame) {
  const Bytes bytes = frame_of(find_node(3), Bytes(50, 2));
  FrameDecoder decoder;
  std::vector<Frame> frames;
  ASSERT_TRUE(decoder.feed(ByteView(bytes).first(bytes.size() - 1), frames).ok());
  EXPECT_TRUE(frames.empty());
  EXPECT_EQ(decoder.partial_bytes(), bytes.size() - 1);
  ASSERT_TRUE(decoder.feed(ByteView(bytes).last(1), frames).ok());
  EXPECT_EQ(frames.size(), 1u);
}

TEST(FrameDecoder, RefusesAnUnknownVersion) {
  FrameDecoder decoder;
  std::vector<Frame> frames;
  Status s = decoder.feed(prefix(2, 0, 0), frames);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::bad_version);
  EXPECT_NE(s.error().message.find("version 2"), std::string::npos);
}

TEST(FrameDecoder, RefusesAnOversizedHeaderBeforeReceivingIt) {
  FrameDecoder decoder;
  std::vector<Frame> frames;
  Status s = decoder.feed(prefix(kFrameVersion, kMaxHeaderSize + 1, 0), frames);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::too_large);
  EXPECT_NE(s.error().message.find("header"), std::string::npos);
}

TEST(FrameDecoder, RefusesAnOversizedPayloadBeforeReceivingIt) {
  FrameDecoder decoder;
  std::vector<Frame> frames;
  Status s = decoder.feed(prefix(kFrameVersion, 0, static_cast<std::uint32_t>(kMaxPayloadSize + 1)), frames);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::too_large);
  EXPECT_NE(s.error().message.find("payload"), std::string::npos);
}

TEST(FrameDecoder, AcceptsAPayloadOfExactlyTheLimit) {
  FrameDecoder decoder;
  std::vector<Frame> frames;
  Bytes bytes = prefix(kFrameVersion, 0, static_cast<std::uint32_t>(kMaxPayloadSize));
  bytes.resize(bytes.size() + kMaxPayloadSize, 0x5a);
  ASSERT_TRUE(decoder.feed(bytes, frames).ok());
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].payload.size(), kMaxPayloadSize);
}

TEST(FrameDecoder, RefusesAHeaderThatIsNotAnEnvelope) {
  Bytes bytes = prefix(kFrameVersion, 3, 0);
  bytes.insert(bytes.end(), {0xff, 0xff, 0xff});  // field 0x1fff.. of wire type 7: invalid
  FrameDecoder decoder;
  std::vector<Frame> frames;
  Status s = decoder.feed(bytes, frames);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::corrupt);
}

TEST(FrameDecoder, StaysFailedAfterAnError) {
  FrameDecoder decoder;
  std::vector<Frame> frames;
  ASSERT_FALSE(decoder.feed(prefix(9, 0, 0), frames).ok());
  EXPECT_TRUE(decoder.failed());
  EXPECT_FALSE(decoder.feed(frame_of(find_node(1)), frames).ok());
  EXPECT_TRUE(frames.empty());
}

TEST(FrameDecoder, HandsOverFramesCompletedBeforeABadOne) {
  Bytes stream = frame_of(find_node(1));
  const Bytes bad = prefix(0, 0, 0);
  stream.insert(stream.end(), bad.begin(), bad.end());
  FrameDecoder decoder;
  std::vector<Frame> frames;
  EXPECT_FALSE(decoder.feed(stream, frames).ok());
  EXPECT_EQ(frames.size(), 1u);
}

TEST(Frame, EncodingRefusesAHeaderAboveTheLimit) {
  wire::Envelope env;
  env.mutable_store()->mutable_record()->set_value(std::string(kMaxHeaderSize, 'x'));
  auto bytes = encode_frame(env, {});
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.error().code, Errc::too_large);
}

TEST(Frame, EncodingRefusesAPayloadAboveTheLimit) {
  auto head = encode_frame_head(find_node(1), kMaxPayloadSize + 1);
  ASSERT_FALSE(head.ok());
  EXPECT_EQ(head.error().code, Errc::too_large);
}

}  // namespace
}  // namespace dfs::net
