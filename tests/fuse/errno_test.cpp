// The errno of each error path, seen through a real mount.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <set>
#include <string>

#include "mount_fixture.hpp"

namespace dfs::fuse::test {
namespace {

// -1 with errno `expected`: "failed with ENOENT (No such file...)" on mismatch.
#define EXPECT_ERRNO(expected, call)                                                                      \
  do {                                                                                                    \
    errno = 0;                                                                                            \
    const long rc_ = static_cast<long>(call);                                                             \
    const int err_ = errno;                                                                               \
    EXPECT_EQ(rc_, -1) << #call << " succeeded";                                                          \
    EXPECT_EQ(err_, expected) << #call << ": got " << strerrorname_np(err_) << ", want " << strerrorname_np(expected); \
  } while (0)

class Errno : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = fresh_dir(::testing::UnitTest::GetInstance()->current_test_info()->name()); }
  std::string p(const std::string& name) const { return dir_ + "/" + name; }
  void touch(const std::string& name, const std::string& content = "x") {
    const int fd = ::open(p(name).c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT_GE(fd, 0) << name << ": " << std::strerror(errno);
    ASSERT_EQ(::write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
    ASSERT_EQ(::close(fd), 0);
  }
  void mkdir(const std::string& name) { ASSERT_EQ(::mkdir(p(name).c_str(), 0755), 0) << std::strerror(errno); }
  std::string dir_;
};

TEST_F(Errno, LookupOfAMissingNameIsENOENT) {
  struct stat st;
  EXPECT_ERRNO(ENOENT, ::stat(p("missing").c_str(), &st));
  EXPECT_ERRNO(ENOENT, ::open(p("missing").c_str(), O_RDONLY));
  EXPECT_ERRNO(ENOENT, ::open(p("missing/deeper").c_str(), O_RDONLY));
}

TEST_F(Errno, PathThroughAFileIsENOTDIR) {
  touch("f");
  struct stat st;
  EXPECT_ERRNO(ENOTDIR, ::stat(p("f/x").c_str(), &st));
  EXPECT_ERRNO(ENOTDIR, ::mkdir(p("f/x").c_str(), 0755));
  EXPECT_ERRNO(ENOTDIR, ::open(p("f/x").c_str(), O_CREAT | O_WRONLY, 0644));
  EXPECT_ERRNO(ENOTDIR, ::opendir(p("f").c_str()) == nullptr ? -1 : 0);
}

TEST_F(Errno, NamesLongerThan255BytesAreENAMETOOLONG) {
  const std::string long_name(256, 'n');
  EXPECT_ERRNO(ENAMETOOLONG, ::open(p(long_name).c_str(), O_CREAT | O_WRONLY, 0644));
  EXPECT_ERRNO(ENAMETOOLONG, ::mkdir(p(long_name).c_str(), 0755));
  struct stat st;
  EXPECT_ERRNO(ENAMETOOLONG, ::stat(p(long_name).c_str(), &st));
  const std::string max_name(255, 'm');
  const int fd = ::open(p(max_name).c_str(), O_CREAT | O_WRONLY, 0644);
  EXPECT_GE(fd, 0) << "a 255-byte name must work: " << std::strerror(errno);
  if (fd >= 0) ::close(fd);
}

TEST_F(Errno, CreatingWhatExistsIsEEXIST) {
  touch("f");
  mkdir("d");
  EXPECT_ERRNO(EEXIST, ::open(p("f").c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644));
  EXPECT_ERRNO(EEXIST, ::mkdir(p("f").c_str(), 0755));
  EXPECT_ERRNO(EEXIST, ::mkdir(p("d").c_str(), 0755));
  EXPECT_ERRNO(EEXIST, ::symlink("target", p("f").c_str()));
  EXPECT_ERRNO(EEXIST, ::link(p("f").c_str(), p("d").c_str()));
  EXPECT_ERRNO(EEXIST, ::mknod(p("f").c_str(), S_IFREG | 0644, 0));
}

TEST_F(Errno, RmdirErrors) {
  mkdir("full");
  touch("full/f");
  touch("file");
  EXPECT_ERRNO(ENOTEMPTY, ::rmdir(p("full").c_str()));
  EXPECT_ERRNO(ENOTDIR, ::rmdir(p("file").c_str()));
  EXPECT_ERRNO(ENOENT, ::rmdir(p("missing").c_str()));
  EXPECT_ERRNO(EINVAL, ::rmdir(p("full/.").c_str()));
}

TEST_F(Errno, UnlinkErrors) {
  mkdir("d");
  EXPECT_ERRNO(EISDIR, ::unlink(p("d").c_str()));
  EXPECT_ERRNO(ENOENT, ::unlink(p("missing").c_str()));
}

TEST_F(Errno, OpenErrors) {
  mkdir("d");
  EXPECT_ERRNO(EISDIR, ::open(p("d").c_str(), O_WRONLY));
  EXPECT_ERRNO(EISDIR, ::open(p("d").c_str(), O_RDWR));
  touch("f");
  const int fd = ::open(p("f").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  EXPECT_ERRNO(EBADF, ::write(fd, "x", 1));
  ::close(fd);
}

TEST_F(Errno, RenameErrors) {
  touch("a", "a");
  touch("b", "b");
  mkdir("empty");
  mkdir("full");
  touch("full/x");
  EXPECT_ERRNO(ENOENT, ::rename(p("missing").c_str(), p("z").c_str()));
  EXPECT_ERRNO(EISDIR, ::rename(p("a").c_str(), p("empty").c_str()));
  EXPECT_ERRNO(ENOTDIR, ::rename(p("empty").c_str(), p("a").c_str()));
  EXPECT_ERRNO(ENOTEMPTY, ::rename(p("empty").c_str(), p("full").c_str()));
  EXPECT_ERRNO(EINVAL, ::rename(p("full").c_str(), p("full/inside").c_str()));
  EXPECT_ERRNO(EEXIST, ::renameat2(AT_FDCWD, p("a").c_str(), AT_FDCWD, p("b").c_str(), RENAME_NOREPLACE));
  EXPECT_ERRNO(ENOENT, ::renameat2(AT_FDCWD, p("a").c_str(), AT_FDCWD, p("none").c_str(), RENAME_EXCHANGE));
  EXPECT_ERRNO(EINVAL, ::renameat2(AT_FDCWD, p("a").c_str(), AT_FDCWD, p("b").c_str(),
                                   RENAME_EXCHANGE | RENAME_NOREPLACE));
}

TEST_F(Errno, RenameWithFlagsDoesWhatItSays) {
  touch("a", "aaa");
  touch("b", "bb");
  ASSERT_EQ(::renameat2(AT_FDCWD, p("a").c_str(), AT_FDCWD, p("b").c_str(), RENAME_EXCHANGE), 0)
      << std::strerror(errno);
  struct stat st;
  ASSERT_EQ(::stat(p("a").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 2);
  ASSERT_EQ(::stat(p("b").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 3);
  ASSERT_EQ(::renameat2(AT_FDCWD, p("a").c_str(), AT_FDCWD, p("c").c_str(), RENAME_NOREPLACE), 0);
  EXPECT_ERRNO(ENOENT, ::stat(p("a").c_str(), &st));
  ASSERT_EQ(::rename(p("c").c_str(), p("b").c_str()), 0);  // replaces
  ASSERT_EQ(::stat(p("b").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 2);
}

TEST_F(Errno, LinkAndSymlinkErrors) {
  mkdir("d");
  touch("f");
  EXPECT_ERRNO(EPERM, ::link(p("d").c_str(), p("d2").c_str()));
  EXPECT_ERRNO(ENOENT, ::link(p("missing").c_str(), p("l").c_str()));
  char buf[64];
  EXPECT_ERRNO(EINVAL, ::readlink(p("f").c_str(), buf, sizeof buf));
  ASSERT_EQ(::symlink("f", p("s").c_str()), 0);
  ASSERT_EQ(::readlink(p("s").c_str(), buf, sizeof buf), 1);
  EXPECT_EQ(buf[0], 'f');
  ASSERT_EQ(::link(p("f").c_str(), p("hard").c_str()), 0);
  struct stat st;
  ASSERT_EQ(::stat(p("f").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 2u);
}

TEST_F(Errno, XattrErrors) {
  touch("f");
  const std::string f = p("f");
  char buf[4];
  EXPECT_ERRNO(ENODATA, ::getxattr(f.c_str(), "user.missing", buf, sizeof buf));
  EXPECT_ERRNO(ENODATA, ::removexattr(f.c_str(), "user.missing"));
  EXPECT_ERRNO(ENODATA, ::setxattr(f.c_str(), "user.new", "v", 1, XATTR_REPLACE));
  ASSERT_EQ(::setxattr(f.c_str(), "user.k", "value", 5, XATTR_CREATE), 0) << std::strerror(errno);
  EXPECT_ERRNO(EEXIST, ::setxattr(f.c_str(), "user.k", "v", 1, XATTR_CREATE));
  EXPECT_ERRNO(ERANGE, ::getxattr(f.c_str(), "user.k", buf, sizeof buf));
  EXPECT_EQ(::getxattr(f.c_str(), "user.k", nullptr, 0), 5);
  char value[16] = {};
  ASSERT_EQ(::getxattr(f.c_str(), "user.k", value, sizeof value), 5);
  EXPECT_STREQ(value, "value");
  EXPECT_ERRNO(EPERM, ::setxattr(f.c_str(), "user.dfs.id", "x", 1, 0));
  char own[256] = {};
  const ssize_t own_size = ::getxattr(f.c_str(), "user.dfs.id", own, sizeof own);
  ASSERT_GT(own_size, 0);
  EXPECT_EQ(::setxattr(f.c_str(), "user.dfs.id", own, static_cast<std::size_t>(own_size), 0), 0)
      << "setting the ID it has (cp -a, rsync -aX) must succeed: " << std::strerror(errno);
  char list[512];
  const ssize_t n = ::listxattr(f.c_str(), list, sizeof list);
  ASSERT_GT(n, 0);
  std::set<std::string> names;
  for (ssize_t i = 0; i < n; i += static_cast<ssize_t>(std::strlen(list + i)) + 1) names.insert(list + i);
  EXPECT_TRUE(names.count("user.k"));
  EXPECT_ERRNO(ERANGE, ::listxattr(f.c_str(), list, 3));
  ASSERT_EQ(::removexattr(f.c_str(), "user.k"), 0);
  EXPECT_ERRNO(ENODATA, ::getxattr(f.c_str(), "user.k", buf, sizeof buf));
}

// Runs `body` as uid/gid 65534 (nobody) in a child; returns the errno it
// reports (0: the call succeeded).
int as_nobody(const std::function<int()>& body) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) _exit(250);
    errno = 0;
    const int rc = body();
    _exit(rc == -1 ? errno : 0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

TEST_F(Errno, PermissionsAreEnforcedForOtherUsers) {
  touch("private");
  ASSERT_EQ(::chmod(p("private").c_str(), 0600), 0);
  ASSERT_EQ(::chmod(dir_.c_str(), 0755), 0);
  const std::string f = p("private");
  const std::string d = dir_;
  EXPECT_EQ(as_nobody([&] { return ::open(f.c_str(), O_RDONLY); }), EACCES);
  EXPECT_EQ(as_nobody([&] { return ::open((d + "/new").c_str(), O_CREAT | O_WRONLY, 0644); }), EACCES);
  EXPECT_EQ(as_nobody([&] { return ::chmod(f.c_str(), 0777); }), EPERM);
  EXPECT_EQ(as_nobody([&] { return ::chown(f.c_str(), 65534, 65534); }), EPERM);
  EXPECT_EQ(as_nobody([&] { return ::unlink(f.c_str()); }), EACCES);
  ASSERT_EQ(::chmod(f.c_str(), 0644), 0);
  EXPECT_EQ(as_nobody([&] { return ::open(f.c_str(), O_RDONLY); }), 0);
}

TEST_F(Errno, DotDfsIdsResolvesIdsAndRejectsEverythingElse) {
  touch("shared", "shared content\n");
  char id[256] = {};
  const ssize_t n = ::getxattr(p("shared").c_str(), "user.dfs.id", id, sizeof id - 1);
  ASSERT_GT(n, 0) << std::strerror(errno);
  const std::string ids = mount_dir() + "/.dfs/ids/";
  const std::string by_id = ids + std::string(id, static_cast<std::size_t>(n));
  const int fd = ::open(by_id.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0) << by_id << ": " << std::strerror(errno);
  char content[64] = {};
  EXPECT_EQ(::read(fd, content, sizeof content), 15);
  EXPECT_STREQ(content, "shared content\n");
  ::close(fd);
  struct stat shared_st {};
  ASSERT_EQ(::stat(by_id.c_str(), &shared_st), 0);
  EXPECT_EQ(shared_st.st_mode & 0222, 0u) << "a file opened by ID shows no write bits";
  EXPECT_ERRNO(EXDEV, ::link(by_id.c_str(), p("linked").c_str()));
  EXPECT_ERRNO(EROFS, ::open(by_id.c_str(), O_WRONLY));
  EXPECT_ERRNO(EROFS, ::truncate(by_id.c_str(), 0));
  EXPECT_ERRNO(EROFS, ::mkdir((ids + "x").c_str(), 0755));
  EXPECT_ERRNO(EROFS, ::open((ids + "new").c_str(), O_CREAT | O_WRONLY, 0644));
  EXPECT_ERRNO(EROFS, ::rmdir((mount_dir() + "/.dfs").c_str()));
  struct stat st;
  EXPECT_ERRNO(ENOENT, ::stat((ids + "not-an-id").c_str(), &st));
  std::string unknown = std::string(id, static_cast<std::size_t>(n));
  unknown[10] = unknown[10] == 'a' ? 'b' : 'a';
  EXPECT_ERRNO(ENOENT, ::stat((ids + unknown).c_str(), &st));
  // .dfs is reachable by name but not listed.
  DIR* root = ::opendir(mount_dir().c_str());
  ASSERT_NE(root, nullptr);
  while (dirent* e = ::readdir(root)) EXPECT_STRNE(e->d_name, ".dfs");
  ::closedir(root);
}

TEST_F(Errno, StatfsReportsTheFilesystem) {
  struct statvfs s;
  ASSERT_EQ(::statvfs(dir_.c_str(), &s), 0);
  EXPECT_EQ(s.f_namemax, 255u);
  EXPECT_GT(s.f_blocks, 0u);
  EXPECT_GT(s.f_bsize, 0u);
}

}  // namespace
}  // namespace dfs::fuse::test
