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

Result<p2p::PeerOptions> peer_options(const std::string& text) {
  const po::options_description desc = peer_options_description();  // the parse points into it
  auto parsed = parse_config_text("dfs.conf", text, desc);
  if (!parsed.ok()) return parsed.take_error();
  po::variables_map vm;
  po::store(*parsed, vm);
  po::notify(vm);
  return peer_options_from(vm, "/nonexistent");
}

TEST(PeerOptions, AdvertiseTakesSeveralAddressesInTheOrderGiven) {
  auto options = peer_options("listen = [::]:4001\nadvertise = 127.0.0.1:4001,[::1]:4001\n");
  ASSERT_TRUE(options.ok()) << options.error().to_string();
  EXPECT_EQ(options->advertise, (std::vector<std::string>{"127.0.0.1:4001", "[::1]:4001"}));
}

TEST(PeerOptions, AdvertiseRefusesMoreAddressesThanAContactCarries) {
  auto options = peer_options("advertise = 127.0.0.1:1,127.0.0.1:2,127.0.0.1:3,127.0.0.1:4,127.0.0.1:5\n");
  ASSERT_FALSE(options.ok());
  EXPECT_NE(options.error().message.find("at most 4"), std::string::npos) << options.error().message;
}

TEST(PeerOptions, AdvertiseRefusesAnEmptyOrMalformedAddressInTheList) {
  EXPECT_FALSE(peer_options("advertise = 127.0.0.1:4001,\n").ok());
  EXPECT_FALSE(peer_options("advertise = 127.0.0.1:4001,::1:4001\n").ok());
}

}  // namespace
}  // namespace dfs::cli
