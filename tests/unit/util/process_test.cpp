#include "dfs/util/process.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <vector>

namespace dfs {
namespace {

constexpr std::string_view kStatus =
    "Name:\tcat\nUmask:\t0022\nState:\tR (running)\nUid:\t1000\t1000\t1000\t1000\n"
    "Groups:\t4 24 27 1000 \nCapInh:\t0000000000000000\nCapPrm:\t0000000000000000\n"
    "CapEff:\t0000000000000010\nCapBnd:\t000001ffffffffff\n";

TEST(ProcessCredentials, ParsesCapabilitiesAndGroups) {
  auto creds = parse_proc_status(kStatus);
  ASSERT_TRUE(creds.ok()) << creds.error().to_string();
  EXPECT_EQ(creds->effective_caps, 0x10u);
  EXPECT_TRUE(creds->has_capability(4));  // CAP_FSETID
  EXPECT_FALSE(creds->has_capability(0));
  EXPECT_FALSE(creds->has_capability(64));
  EXPECT_EQ(creds->groups, (std::vector<std::uint32_t>{4, 24, 27, 1000}));
  EXPECT_TRUE(creds->in_group(27));
  EXPECT_FALSE(creds->in_group(1001));
}

TEST(ProcessCredentials, NoGroupsIsAnEmptyList) {
  auto creds = parse_proc_status("Groups:\t\nCapEff:\t000001ffffffffff\n");
  ASSERT_TRUE(creds.ok()) << creds.error().to_string();
  EXPECT_TRUE(creds->groups.empty());
  EXPECT_TRUE(creds->has_capability(40));
}

TEST(ProcessCredentials, RefusesMissingOrMalformedLines) {
  EXPECT_FALSE(parse_proc_status("Groups:\t1\n").ok());
  EXPECT_FALSE(parse_proc_status("CapEff:\t10\n").ok());
  EXPECT_FALSE(parse_proc_status("Groups:\t1\nCapEff:\txyz\n").ok());
  EXPECT_FALSE(parse_proc_status("Groups:\t1x\nCapEff:\t10\n").ok());
  EXPECT_FALSE(parse_proc_status("Groups:\t1\nCapEff:\t\n").ok());
  EXPECT_FALSE(parse_proc_status("Groups:\t1\nCapEffective:\t10\n").ok());
}

TEST(ProcessCredentials, ReadsThisProcess) {
  auto creds = process_credentials(static_cast<std::uint32_t>(::getpid()));
  ASSERT_TRUE(creds.ok()) << creds.error().to_string();
  std::vector<gid_t> groups(static_cast<std::size_t>(::getgroups(0, nullptr)));
  ASSERT_EQ(::getgroups(static_cast<int>(groups.size()), groups.data()), static_cast<int>(groups.size()));
  for (gid_t gid : groups) EXPECT_TRUE(creds->in_group(gid)) << gid;
  EXPECT_EQ(creds->groups.size(), groups.size());
}

TEST(ProcessCredentials, AGoneProcessIsNotFound) {
  auto creds = process_credentials(0);
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.error().code, Errc::not_found);
}

}  // namespace
}  // namespace dfs
