// HOST:PORT as users type it and peers send it: IPv4, [IPv6], host names.
#include <gtest/gtest.h>

#include <vector>

#include "dfs/net/address.hpp"

namespace dfs::net {
namespace {

TEST(Address, Ipv4BracketedIpv6AndHostNamesParseIntoHostAndPort) {
  auto v4 = parse_host_port("10.1.2.3:4001");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->host, "10.1.2.3");
  EXPECT_EQ(v4->port, 4001);
  auto v6 = parse_host_port("[::1]:4001");
  ASSERT_TRUE(v6.ok()) << v6.error().message;
  EXPECT_EQ(v6->host, "::1");
  auto ula = parse_host_port("[fd0d:f500::c]:0");
  ASSERT_TRUE(ula.ok());
  EXPECT_EQ(ula->host, "fd0d:f500::c");
  EXPECT_EQ(ula->port, 0);
  auto mapped = parse_host_port("[::ffff:10.0.0.1]:65535");
  ASSERT_TRUE(mapped.ok());
  EXPECT_EQ(mapped->port, 65535);
  auto name = parse_host_port("peer-7.example.org:4001");
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(name->host, "peer-7.example.org");
}

TEST(Address, AnIpv6AddressWithoutBracketsIsRefusedAskingForThem) {
  auto r = parse_host_port("::1:4001");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("[HOST]:PORT"), std::string::npos) << r.error().message;
}

TEST(Address, MalformedAddressesAreRefused) {
  for (const std::string& bad : std::vector<std::string>{"", "4001", ":4001", "host:", "host:port", "host:65536", "host:-1", "host:+1", "host:4001x", "[::1:4001",
        "[]:4001", "[host]:4001", "[::1]x:4001", "ho st:4001", "host/x:4001", std::string(300, 'a') + ":1"}) {
    EXPECT_FALSE(parse_host_port(bad).ok()) << bad;
  }
}

TEST(Address, FormattingBracketsIpv6HostsOnly) {
  EXPECT_EQ(format_host_port("::1", 4001), "[::1]:4001");
  EXPECT_EQ(format_host_port("10.0.0.1", 4001), "10.0.0.1:4001");
  EXPECT_EQ(format_host_port("example.org", 1), "example.org:1");
}

}  // namespace
}  // namespace dfs::net
