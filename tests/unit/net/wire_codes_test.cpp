// Error replies to other peers (issue 10): a stable code per Errc, and a
// message that names no file of this machine.
#include "dfs/net/wire_codes.hpp"

#include <gtest/gtest.h>

namespace dfs::net {
namespace {

TEST(WireCodes, EveryCodeSurvivesTheWire) {
  for (Errc code : {Errc::not_found, Errc::corrupt, Errc::no_space, Errc::busy, Errc::too_large,
                    Errc::permission_denied, Errc::invalid_argument, Errc::unavailable, Errc::timed_out}) {
    EXPECT_EQ(from_wire_code(to_wire_code(code)), code);
  }
}

TEST(WireCodes, AnErrorSentToAPeerNamesNoLocalPath) {
  const wire::Error sent = to_wire_error(make_error(
      Errc::io_error, "cannot read /home/alice/.local/share/dfs/store/ab/abcdef: input/output error (\"/tmp/x\")"));
  EXPECT_EQ(sent.message().find("/home"), std::string::npos) << sent.message();
  EXPECT_EQ(sent.message().find("/tmp"), std::string::npos) << sent.message();
  EXPECT_NE(sent.message().find("cannot read (a local path): input/output error"), std::string::npos)
      << sent.message();
  EXPECT_EQ(from_wire_code(sent.code()), Errc::io_error);
}

}  // namespace
}  // namespace dfs::net
