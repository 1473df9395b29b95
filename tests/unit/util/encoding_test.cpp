#include "dfs/util/encoding.hpp"

#include <gtest/gtest.h>

namespace dfs {
namespace {

std::string base32_of(std::string_view s) { return to_base32(as_bytes(s)); }

TEST(Base32, EncodesTheRfc4648VectorsInLowercaseWithoutPadding) {
  EXPECT_EQ(base32_of(""), "");
  EXPECT_EQ(base32_of("f"), "my");
  EXPECT_EQ(base32_of("fo"), "mzxq");
  EXPECT_EQ(base32_of("foo"), "mzxw6");
  EXPECT_EQ(base32_of("foob"), "mzxw6yq");
  EXPECT_EQ(base32_of("fooba"), "mzxw6ytb");
  EXPECT_EQ(base32_of("foobar"), "mzxw6ytboi");
}

TEST(Base32, DecodesEitherCaseBackToTheSameBytes) {
  for (std::string_view s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    auto lower = from_base32(base32_of(s));
    ASSERT_TRUE(lower.ok()) << s;
    EXPECT_EQ(std::string(lower->begin(), lower->end()), s);
  }
  auto upper = from_base32("MZXW6YTBOI");
  ASSERT_TRUE(upper.ok());
  EXPECT_EQ(std::string(upper->begin(), upper->end()), "foobar");
}

TEST(Base32, RejectsCharactersOutsideTheAlphabet) {
  EXPECT_EQ(from_base32("mzxw1").error().code, Errc::invalid_argument);
  EXPECT_EQ(from_base32("mzxw6=").error().code, Errc::invalid_argument);
}

TEST(Base32, RejectsImpossibleLengthsAndNonCanonicalTrailingBits) {
  EXPECT_FALSE(from_base32("m").ok());
  EXPECT_FALSE(from_base32("mzx").ok());
  EXPECT_FALSE(from_base32("mz").ok());  // 'z' leaves non-zero spare bits
}

TEST(Hex, RoundTripsAndRejectsBadInput) {
  Bytes data{0x00, 0x7f, 0x80, 0xff};
  EXPECT_EQ(to_hex(data), "007f80ff");
  EXPECT_EQ(from_hex("007F80ff").value(), data);
  EXPECT_FALSE(from_hex("abc").ok());
  EXPECT_FALSE(from_hex("zz").ok());
}

TEST(ByteReader, ReadsLittleEndianIntegersAndReportsTruncation) {
  Bytes buf;
  ByteWriter w(buf);
  w.u8(7);
  w.u32(0x01020304);
  w.u64(0x1122334455667788ull);
  ByteReader r(buf);
  EXPECT_EQ(r.u8("a").value(), 7);
  EXPECT_EQ(r.u32("b").value(), 0x01020304u);
  EXPECT_EQ(r.u64("c").value(), 0x1122334455667788ull);
  EXPECT_TRUE(r.expect_end("all").ok());
  auto past_end = r.u32("the missing field");
  ASSERT_FALSE(past_end.ok());
  EXPECT_EQ(past_end.error().code, Errc::truncated);
  EXPECT_NE(past_end.error().message.find("the missing field"), std::string::npos);
}

TEST(ByteReader, ReportsTrailingBytes) {
  Bytes buf{1, 2, 3};
  ByteReader r(buf);
  ASSERT_TRUE(r.u8("x").ok());
  EXPECT_EQ(r.expect_end("thing").error().code, Errc::corrupt);
}

}  // namespace
}  // namespace dfs
