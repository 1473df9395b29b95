// Fuzzes FrameDecoder, which reads every byte a peer sends (DESIGN.md §4:
// "oversized or malformed frames close the connection; they never crash").
//
// The first input byte seeds how the rest is cut into pieces (as a socket
// would hand them over) and which payload pieces are read straight into
// the decoder's payload buffer; the rest is the byte stream.
//
// Properties: no out-of-bounds access or unbounded allocation; the result
// (frames and error) does not depend on how the stream is cut; an error is
// one of the three documented codes; every frame decoded re-encodes to a
// frame that decodes to the same envelope and payload; nothing decodes
// above the size limits.
#include <cstring>

#include "dfs/net/frame.hpp"
#include "fuzz_common.hpp"

namespace {
using namespace dfs;
using namespace dfs::net;

struct Outcome {
  std::vector<Frame> frames;
  Status status;
};

Outcome decode_whole(ByteView stream) {
  Outcome out;
  FrameDecoder decoder;
  out.status = decoder.feed(stream, out.frames);
  return out;
}

// Pieces of 1..64 bytes, sizes drawn from a small LCG seeded by `seed`.
// Mid-payload, a piece is sometimes written straight into payload_space()
// instead of fed, as a connection reads from TLS.
Outcome decode_in_pieces(ByteView stream, std::uint8_t seed) {
  Outcome out;
  FrameDecoder decoder;
  std::uint32_t state = seed * 2654435761u + 1;
  std::size_t pos = 0;
  while (pos < stream.size() && out.status.ok()) {
    state = state * 1664525u + 1013904223u;
    std::size_t n = std::min<std::size_t>(1 + (state >> 26), stream.size() - pos);
    const MutableByteView space = decoder.payload_space();
    if (!space.empty() && (state & 0x100) != 0) {
      n = std::min(n, space.size());
      std::memcpy(space.data(), stream.data() + pos, n);
      decoder.payload_received(n, out.frames);
    } else {
      out.status = decoder.feed(stream.subspan(pos, n), out.frames);
    }
    pos += n;
  }
  return out;
}

// One frame per call (feed with max_frames = 1, as a connection does
// before the peer's Hello), the rest of each piece fed again.
Outcome decode_one_at_a_time(ByteView stream) {
  Outcome out;
  FrameDecoder decoder;
  while (!stream.empty() && out.status.ok()) {
    std::size_t used = 0;
    const std::size_t before = out.frames.size();
    out.status = decoder.feed(stream, out.frames, 1, used);
    FUZZ_CHECK(used <= stream.size());
    FUZZ_CHECK(out.frames.size() - before <= 1);
    FUZZ_CHECK(used > 0 || !out.status.ok() || out.frames.size() > before);
    stream = stream.subspan(used);
  }
  return out;
}

bool same_frame(const Frame& a, const Frame& b) {
  return a.envelope.SerializeAsString() == b.envelope.SerializeAsString() && a.payload == b.payload;
}

void check_frame_round_trips(const Frame& frame) {
  FUZZ_CHECK(frame.payload.size() <= kMaxPayloadSize);
  auto encoded = encode_frame(frame.envelope, frame.payload);
  // Re-serialising may differ in size from what was received (e.g. a
  // repeated field split in two), so the header may now exceed the limit.
  if (!encoded.ok()) {
    FUZZ_CHECK(encoded.error().code == Errc::too_large);
    return;
  }
  Outcome again = decode_whole(*encoded);
  FUZZ_CHECK(again.status.ok());
  FUZZ_CHECK(again.frames.size() == 1);
  FUZZ_CHECK(same_frame(again.frames[0], frame));
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const ByteView stream(data + 1, size - 1);
  Outcome whole = decode_whole(stream);
  Outcome pieces = decode_in_pieces(stream, data[0]);

  FUZZ_CHECK(whole.status.ok() == pieces.status.ok());
  FUZZ_CHECK(whole.frames.size() == pieces.frames.size());
  for (std::size_t i = 0; i < whole.frames.size(); ++i) FUZZ_CHECK(same_frame(whole.frames[i], pieces.frames[i]));
  if (!whole.status.ok()) {
    const Errc code = whole.status.error().code;
    FUZZ_CHECK(code == Errc::bad_version || code == Errc::too_large || code == Errc::corrupt);
    FUZZ_CHECK(code == pieces.status.error().code);
  }
  for (const Frame& frame : whole.frames) check_frame_round_trips(frame);

  Outcome single = decode_one_at_a_time(stream);
  FUZZ_CHECK(single.status.ok() == whole.status.ok());
  FUZZ_CHECK(single.frames.size() == whole.frames.size());
  for (std::size_t i = 0; i < whole.frames.size(); ++i) FUZZ_CHECK(same_frame(whole.frames[i], single.frames[i]));

  // The limits of a connection whose peer has not proved itself yet.
  FrameDecoder hello;
  hello.set_limits(4096, 0);
  std::vector<Frame> hello_frames;
  (void)hello.feed(stream, hello_frames);
  for (const Frame& frame : hello_frames) FUZZ_CHECK(frame.payload.empty());
  return 0;
}
