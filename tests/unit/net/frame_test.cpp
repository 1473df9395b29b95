#include "dfs/net/frame.hpp"

#include <algorithm>

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

// What a connection does mid-payload: bytes written straight into
// payload_space(), then payload_received(); the rest through feed().
TEST(FrameDecoder, ReceivesAPayloadWrittenStraightIntoItsBuffer) {
  Bytes payload(300 * 1024);
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<std::uint8_t>(i * 7);
  const Bytes stream = frame_of(find_node(5), payload);
  const std::size_t head = stream.size() - payload.size();
  FrameDecoder decoder;
  std::vector<Frame> frames;
  EXPECT_TRUE(decoder.payload_space().empty()) << "no payload is arriving yet";
  ASSERT_TRUE(decoder.feed(ByteView(stream).first(head + 10), frames).ok());
  std::size_t pos = head + 10;
  while (frames.empty()) {
    MutableByteView space = decoder.payload_space();
    ASSERT_FALSE(space.empty());
    ASSERT_LE(space.size(), stream.size() - pos) << "never room past the payload's end";
    const std::size_t n = std::min<std::size_t>(space.size(), 5000);  // short reads, as from TLS
    std::copy_n(stream.begin() + static_cast<std::ptrdiff_t>(pos), n, space.begin());
    decoder.payload_received(n, frames);
    pos += n;
  }
  EXPECT_EQ(pos, stream.size());
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].envelope.request_id(), 5u);
  EXPECT_EQ(frames[0].payload, payload);
  EXPECT_TRUE(decoder.payload_space().empty());
  EXPECT_EQ(decoder.partial_bytes(), 0u);
}

TEST(FrameDecoder, GrowsThePayloadBufferWithTheBytesReceivedNotTheLengthAnnounced) {
  const std::uint32_t announced = 8u << 20;
  Bytes stream = prefix(kFrameVersion, static_cast<std::uint32_t>(find_node(1).ByteSizeLong()), announced);
  const std::string header = find_node(1).SerializeAsString();
  stream.insert(stream.end(), header.begin(), header.end());
  FrameDecoder decoder;
  std::vector<Frame> frames;
  ASSERT_TRUE(decoder.feed(stream, frames).ok());
  EXPECT_LE(decoder.payload_space().size(), 64u * 1024) << "a peer announcing 8 MiB gets 64 KiB of room";
  decoder.payload_received(1000, frames);
  EXPECT_EQ(decoder.partial_bytes(), stream.size() + 1000);
  EXPECT_LE(decoder.payload_space().size(), 64u * 1024);
  EXPECT_TRUE(frames.empty());
}

TEST(FrameDecoder, MixesFedBytesAndDirectPayloadReads) {
  const Bytes payload(100 * 1024, 0x42);
  Bytes stream = frame_of(find_node(1), payload);
  const Bytes second = frame_of(find_node(2), Bytes{9, 8, 7});
  const std::size_t first_size = stream.size();
  stream.insert(stream.end(), second.begin(), second.end());
  FrameDecoder decoder;
  std::vector<Frame> frames;
  const std::size_t head = first_size - payload.size();
  ASSERT_TRUE(decoder.feed(ByteView(stream).first(head + 1), frames).ok());
  MutableByteView space = decoder.payload_space();
  ASSERT_EQ(space.size(), 64u * 1024);
  std::fill(space.begin(), space.end(), 0x42);
  decoder.payload_received(space.size(), frames);
  // The rest of the first payload and the whole second frame in one feed.
  ASSERT_TRUE(decoder.feed(ByteView(stream).subspan(head + 1 + 64 * 1024), frames).ok());
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].payload, payload);
  EXPECT_EQ(frames[1].payload, (Bytes{9, 8, 7}));
}

}  // namespace
}  // namespace dfs::net
