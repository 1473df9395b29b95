#include "dfs/util/result.hpp"

#include <gtest/gtest.h>

#include <cerrno>

namespace dfs {
namespace {

Result<int> half(int x) {
  if (x % 2) return make_error(Errc::invalid_argument, std::to_string(x) + " is odd");
  return x / 2;
}

Result<int> quarter(int x) {
  DFS_ASSIGN_OR_RETURN(int h, half(x));
  return half(h);
}

TEST(Result, PropagatesTheFirstErrorThroughAssignOrReturn) {
  EXPECT_EQ(quarter(8).value(), 2);
  auto r = quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "3 is odd");
  EXPECT_EQ(r.error().to_string(), "invalid argument: 3 is odd");
}

TEST(Result, MapsErrnoToCodes) {
  EXPECT_EQ(errno_error("x", ENOSPC).code, Errc::no_space);
  EXPECT_EQ(errno_error("x", ENOENT).code, Errc::not_found);
  EXPECT_EQ(errno_error("x", EIO).code, Errc::io_error);
  EXPECT_NE(errno_error("write f", ENOSPC).message.find("write f"), std::string::npos);
}

}  // namespace
}  // namespace dfs
