#include <gtest/gtest.h>

#include "../../../src/cli/cli_util.hpp"
#include "../../../src/cli/peer_options.hpp"

namespace dfs::cli {
namespace {

namespace po = boost::program_options;

Result<po::parsed_options> parse(const std::string& text) {
  return parse_config_text("dfs.conf", text, peer_options_description());
}

TEST(ConfigFile, KnownSettingsAreParsedAndCommentsSkipped) {
  auto parsed = parse("# office\nbootstrap = 127.0.0.1:4001\n\nreplicas = 2\n");
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  EXPECT_EQ(parsed->options.size(), 2u);
}

TEST(ConfigFile, AnUnknownSettingIsRefusedWithItsLine) {
  auto parsed = parse("replicas = 2\nbootstrapp = 127.0.0.1:4001\n");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().message.find("dfs.conf line 2: unknown setting \"bootstrapp\""), std::string::npos)
      << parsed.error().message;
}

// Boost's lookup of an empty name threw "option is ambiguous" past the
// error value (found by tests/fuzz/fuzz_config_file.cpp).
TEST(ConfigFile, ALineWithNoNameBeforeItsEqualsSignIsRefusedWithItsLine) {
  auto parsed = parse("replicas = 2\n= 127.0.0.1:4001\n");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().message.find("dfs.conf line 2: expected \"name = value\""), std::string::npos)
      << parsed.error().message;
}

TEST(ConfigFile, AFileOverOneMebibyteIsRefused) {
  auto parsed = parse(std::string((1u << 20) + 1, '#'));
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().message.find("larger than 1 MiB"), std::string::npos) << parsed.error().message;
}

}  // namespace
}  // namespace dfs::cli
