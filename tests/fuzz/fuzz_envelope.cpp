// Fuzzes the protobuf Envelope (wire.proto) as a frame header from a peer:
// parse, re-serialise, parse again.
//
// Properties: no crash or sanitizer report inside protobuf's parser on our
// schema; a parsed Envelope re-serialises to exactly ByteSizeLong() bytes,
// and that serialisation is a fixed point (parse + serialise gives it
// back), so what we relay is stable; framing it again succeeds exactly
// when it fits the header limit.
#include "dfs/net/frame.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dfs;
  if (size > net::kMaxHeaderSize) return 0;  // the decoder never parses more
  dfs::wire::Envelope env;
  if (!env.ParseFromArray(data, static_cast<int>(size))) return 0;

  const std::string once = env.SerializeAsString();
  FUZZ_CHECK(once.size() == env.ByteSizeLong());
  dfs::wire::Envelope again;
  FUZZ_CHECK(again.ParseFromString(once));
  FUZZ_CHECK(again.SerializeAsString() == once);
  FUZZ_CHECK(again.body_case() == env.body_case());
  FUZZ_CHECK(again.request_id() == env.request_id());

  // What the transport does with a parsed header: frame it again.
  auto framed = net::encode_frame(env, {});
  FUZZ_CHECK(framed.ok() == (once.size() <= net::kMaxHeaderSize));
  return 0;
}
