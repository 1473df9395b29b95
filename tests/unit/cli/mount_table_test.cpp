#include "../../../src/cli/mount_table.hpp"

#include <gtest/gtest.h>

namespace dfs::cli {
namespace {

const std::string kMountinfo =
    "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
    "40 22 0:40 / /mnt/dfs rw,nosuid,nodev,relatime shared:20 - fuse.dfs /var/lib/dfs/a\\040b rw,user_id=0\n"
    "41 40 0:41 / /mnt/dfs/inner rw,relatime shared:21 - tmpfs tmpfs rw\n"
    "42 22 0:42 / /mnt/old rw,relatime - fuse.dfs dfs rw\n"
    "43 22 0:43 / /mnt/other\\040fs rw,relatime - fuse.sshfs host: rw\n";

TEST(MountTable, FindsTheDfsMountHoldingAPathAndItsDataDirectory) {
  auto mount = dfs_mount_holding("/mnt/dfs/photos/cat.jpg", kMountinfo);
  ASSERT_TRUE(mount);
  EXPECT_EQ(mount->mountpoint, "/mnt/dfs");
  EXPECT_EQ(mount->data_dir, "/var/lib/dfs/a b");
  ASSERT_TRUE(dfs_mount_holding("/mnt/dfs", kMountinfo));
}

TEST(MountTable, OnlyTheInnermostMountCounts) {
  EXPECT_FALSE(dfs_mount_holding("/mnt/dfs/inner/x", kMountinfo));
  EXPECT_FALSE(dfs_mount_holding("/mnt/dfsx", kMountinfo)) << "a sibling with the same prefix is not inside";
  EXPECT_FALSE(dfs_mount_holding("/mnt/other fs/x", kMountinfo));
  EXPECT_FALSE(dfs_mount_holding("/home", kMountinfo));
}

TEST(MountTable, AMountThatDidNotRecordItsDataDirectoryHasNone) {
  auto mount = dfs_mount_holding("/mnt/old/x", kMountinfo);
  ASSERT_TRUE(mount);
  EXPECT_EQ(mount->data_dir, "");
}

TEST(MountTable, MalformedLinesAreSkipped) {
  EXPECT_FALSE(dfs_mount_holding("/mnt/dfs/x", "garbage\n1 2 3\n40 22 0:40 / /mnt/dfs rw - fuse.dfs\n"));
}

TEST(MountTable, FsnameEscapesWhatLibfuseWouldSplitOn) {
  EXPECT_EQ(fsname_option("/data/a,b\\c"), "fsname=/data/a\\,b\\\\c");
}

}  // namespace
}  // namespace dfs::cli
