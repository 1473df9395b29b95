// errno_of: the one place where fs errors become errno.
#include <gtest/gtest.h>

#include <cerrno>

#include "dfs/fuse/mount.hpp"

namespace dfs::fuse {
namespace {

int of(Errc code, Op op = Op::other) { return errno_of(make_error(code, "test"), op); }

TEST(ErrnoOf, EachFilesystemConditionHasItsErrno) {
  EXPECT_EQ(of(Errc::not_found), ENOENT);
  EXPECT_EQ(of(Errc::already_exists), EEXIST);
  EXPECT_EQ(of(Errc::not_empty), ENOTEMPTY);
  EXPECT_EQ(of(Errc::is_directory), EISDIR);
  EXPECT_EQ(of(Errc::not_directory), ENOTDIR);
  EXPECT_EQ(of(Errc::name_too_long), ENAMETOOLONG);
  EXPECT_EQ(of(Errc::invalid_argument), EINVAL);
  EXPECT_EQ(of(Errc::permission_denied), EACCES);
  EXPECT_EQ(of(Errc::read_only), EROFS);
  EXPECT_EQ(of(Errc::no_space), ENOSPC);
  EXPECT_EQ(of(Errc::not_supported), EOPNOTSUPP);
  EXPECT_EQ(of(Errc::cross_device), EXDEV);
  EXPECT_EQ(of(Errc::too_many_links), EMLINK);
  EXPECT_EQ(of(Errc::too_large), EFBIG);
  for (Errc io : {Errc::corrupt, Errc::io_error, Errc::unavailable, Errc::timed_out, Errc::internal}) {
    EXPECT_EQ(of(io), EIO) << errc_name(io);
  }
}

TEST(ErrnoOf, SomeCallsGiveOneConditionAnotherErrno) {
  EXPECT_EQ(of(Errc::not_found, Op::xattr), ENODATA);
  EXPECT_EQ(of(Errc::too_large, Op::xattr), E2BIG);
  EXPECT_EQ(of(Errc::too_large, Op::xattr_buffer), ERANGE);
  EXPECT_EQ(of(Errc::permission_denied, Op::xattr), EPERM) << "user.dfs.id set to another value";
  EXPECT_EQ(of(Errc::permission_denied, Op::setattr), EPERM);
  EXPECT_EQ(of(Errc::is_directory, Op::link), EPERM);
  EXPECT_EQ(of(Errc::not_found, Op::seek), ENXIO);
}

}  // namespace
}  // namespace dfs::fuse
