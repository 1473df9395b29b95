#include "dfs/chunk/file_id.hpp"

#include <gtest/gtest.h>

namespace dfs {
namespace {

FileId sample() {
  ChunkId m;
  for (std::size_t i = 0; i < m.bytes.size(); ++i) m.bytes[i] = static_cast<std::uint8_t>(i);
  return FileId{m, crypto::SecretKey::generate()};
}

TEST(FileId, PrintsAsDfs1AndBase32AndParsesBack) {
  FileId id = sample();
  std::string text = id.to_string();
  EXPECT_EQ(text.size(), kFileIdLength);
  EXPECT_EQ(text.substr(0, 4), "dfs1");
  FileId back = FileId::parse(text).value();
  EXPECT_EQ(back.manifest, id.manifest);
  EXPECT_TRUE(back.key == id.key);
}

TEST(FileId, ParsingAcceptsUppercaseBase32) {
  std::string text = sample().to_string();
  for (std::size_t i = 4; i < text.size(); ++i) text[i] = static_cast<char>(std::toupper(text[i]));
  EXPECT_TRUE(FileId::parse(text).ok());
}

TEST(FileId, ParsingAcceptsTheWholeIdInUppercaseAsTheReadmeSays) {
  std::string text = sample().to_string();
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto parsed = FileId::parse(text);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->manifest, sample().manifest);
}

TEST(FileId, ParsingSaysWhatIsWrongWithABadId) {
  std::string good = sample().to_string();
  auto no_prefix = FileId::parse("Qm" + good.substr(2));
  EXPECT_EQ(no_prefix.error().code, Errc::invalid_argument);
  EXPECT_NE(no_prefix.error().message.find("dfs1"), std::string::npos);

  EXPECT_EQ(FileId::parse("dfs2" + good.substr(4)).error().code, Errc::bad_version);
  EXPECT_EQ(FileId::parse("dfs").error().code, Errc::bad_version);

  auto short_id = FileId::parse(good.substr(0, good.size() - 5));
  EXPECT_EQ(short_id.error().code, Errc::invalid_argument);
  EXPECT_NE(short_id.error().message.find("characters"), std::string::npos);

  std::string bad_char = good;
  bad_char[10] = '0';
  EXPECT_EQ(FileId::parse(bad_char).error().code, Errc::invalid_argument);
  EXPECT_EQ(FileId::parse("").error().code, Errc::invalid_argument);
}

}  // namespace
}  // namespace dfs
