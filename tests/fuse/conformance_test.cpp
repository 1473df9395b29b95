// POSIX conformance, table-driven: every operation on every file type, on
// the mount and on a plain directory of the host (ext4 or tmpfs) side by
// side, as root and as an unprivileged user; the result, the errno and
// what stat shows afterwards must be the same. Then the corners one table
// does not cover (sticky bit, setuid on write, locks, rename over an open
// file, the limits), each against the plain directory too where it can.
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <linux/falloc.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "mount_fixture.hpp"

namespace dfs::fuse::test {
namespace {

constexpr uid_t kNobody = 65534;

// What a call did: 0 or its errno, and what lstat shows of the path after it.
struct Outcome {
  int err = 0;
  std::string after;
  bool operator==(const Outcome&) const = default;
};

std::string describe(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return std::string("gone (") + strerrorname_np(errno) + ")";
  std::string out = "mode " + std::to_string(st.st_mode) + " nlink " + std::to_string(st.st_nlink) + " uid " +
                    std::to_string(st.st_uid) + " gid " + std::to_string(st.st_gid);
  if (!S_ISDIR(st.st_mode)) out += " size " + std::to_string(st.st_size);  // a directory's size is the fs's own
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) out += " rdev " + std::to_string(st.st_rdev);
  return out;
}

// Runs `call` in a child as `uid` (root keeps its rights) and returns its
// errno (0 on success).
int run_as(uid_t uid, const std::function<int()>& call) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return -1;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(pipe_fds[0]);
    if (uid != 0 && (::setgroups(0, nullptr) != 0 || ::setresgid(uid, uid, uid) != 0 || ::setresuid(uid, uid, uid) != 0)) {
      ::_exit(1);
    }
    errno = 0;
    const int rc = call();
    const int err = rc < 0 ? errno : 0;
    (void)!::write(pipe_fds[1], &err, sizeof err);
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  int err = -1;
  if (::read(pipe_fds[0], &err, sizeof err) != sizeof err) err = -1;
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return err;
}

int bind_socket(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return -1;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::close(fd);
  return rc;
}

struct FileType {
  const char* name;
  bool root_only;
  // Makes the object at `path` (0 on success).
  std::function<int(const std::string& path)> make;
};

const std::vector<FileType>& file_types() {
  static const std::vector<FileType> types = {
      {"regular", false,
       [](const std::string& p) {
         const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
         if (fd < 0) return -1;
         const int rc = ::write(fd, "content", 7) == 7 ? 0 : -1;
         return ::close(fd) == 0 ? rc : -1;
       }},
      {"directory", false, [](const std::string& p) { return ::mkdir(p.c_str(), 0755); }},
      {"symlink", false, [](const std::string& p) { return ::symlink("target", p.c_str()); }},
      {"fifo", false, [](const std::string& p) { return ::mkfifo(p.c_str(), 0644); }},
      {"socket", false, bind_socket},
      {"char device", true, [](const std::string& p) { return ::mknod(p.c_str(), S_IFCHR | 0644, makedev(1, 3)); }},
      {"block device", true, [](const std::string& p) { return ::mknod(p.c_str(), S_IFBLK | 0600, makedev(7, 0)); }},
  };
  return types;
}

struct Operation {
  const char* name;
  // Acts on `path` (the object) in directory `dir`; returns -1 with errno.
  std::function<int(const std::string& dir, const std::string& path)> call;
};

int utimes_of(const std::string& path, timespec atime, timespec mtime) {
  const timespec times[2] = {atime, mtime};
  return ::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW);
}

const std::vector<Operation>& operations() {
  static const std::vector<Operation> ops = {
      {"lstat", [](const std::string&, const std::string& p) { struct stat st; return ::lstat(p.c_str(), &st); }},
      {"chmod", [](const std::string&, const std::string& p) { return ::chmod(p.c_str(), 0600); }},
      {"chmod setuid", [](const std::string&, const std::string& p) { return ::chmod(p.c_str(), 04755); }},
      {"lchown nobody", [](const std::string&, const std::string& p) { return ::lchown(p.c_str(), kNobody, kNobody); }},
      {"lchown unchanged", [](const std::string&, const std::string& p) { return ::lchown(p.c_str(), -1, -1); }},
      {"rename", [](const std::string& d, const std::string& p) { return ::rename(p.c_str(), (d + "/renamed").c_str()); }},
      {"rename onto itself", [](const std::string&, const std::string& p) { return ::rename(p.c_str(), p.c_str()); }},
      {"rename noreplace", [](const std::string& d, const std::string& p) {
         return ::renameat2(AT_FDCWD, p.c_str(), AT_FDCWD, (d + "/other").c_str(), RENAME_NOREPLACE);
       }},
      {"rename exchange", [](const std::string& d, const std::string& p) {
         return ::renameat2(AT_FDCWD, p.c_str(), AT_FDCWD, (d + "/other").c_str(), RENAME_EXCHANGE);
       }},
      {"link", [](const std::string& d, const std::string& p) { return ::link(p.c_str(), (d + "/hard").c_str()); }},
      {"link onto existing", [](const std::string& d, const std::string& p) { return ::link(p.c_str(), (d + "/other").c_str()); }},
      {"unlink", [](const std::string&, const std::string& p) { return ::unlink(p.c_str()); }},
      {"rmdir", [](const std::string&, const std::string& p) { return ::rmdir(p.c_str()); }},
      {"utimens now", [](const std::string&, const std::string& p) { return utimes_of(p, {0, UTIME_NOW}, {0, UTIME_NOW}); }},
      {"utimens omit", [](const std::string&, const std::string& p) { return utimes_of(p, {0, UTIME_OMIT}, {0, UTIME_OMIT}); }},
      {"utimens set", [](const std::string&, const std::string& p) { return utimes_of(p, {1000, 5}, {2000, 7}); }},
      {"truncate", [](const std::string&, const std::string& p) { return ::truncate(p.c_str(), 3); }},
      {"open read nonblocking", [](const std::string&, const std::string& p) {
         const int fd = ::open(p.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW);
         return fd < 0 ? -1 : ::close(fd);
       }},
      {"open write", [](const std::string&, const std::string& p) {
         const int fd = ::open(p.c_str(), O_WRONLY | O_NONBLOCK | O_NOFOLLOW);
         return fd < 0 ? -1 : ::close(fd);
       }},
      {"readlink", [](const std::string&, const std::string& p) { char b[64]; return static_cast<int>(::readlink(p.c_str(), b, sizeof b)); }},
      {"mkdir inside", [](const std::string&, const std::string& p) { return ::mkdir((p + "/x").c_str(), 0755); }},
      {"create inside", [](const std::string&, const std::string& p) {
         const int fd = ::open((p + "/x").c_str(), O_WRONLY | O_CREAT, 0644);
         return fd < 0 ? -1 : ::close(fd);
       }},
      {"mkdir over", [](const std::string&, const std::string& p) { return ::mkdir(p.c_str(), 0755); }},
      {"mkfifo over", [](const std::string&, const std::string& p) { return ::mkfifo(p.c_str(), 0644); }},
      {"lsetxattr user", [](const std::string&, const std::string& p) { return ::lsetxattr(p.c_str(), "user.t", "v", 1, 0); }},
      {"lgetxattr missing", [](const std::string&, const std::string& p) { char b[8]; return static_cast<int>(::lgetxattr(p.c_str(), "user.none", b, sizeof b)); }},
      {"lremovexattr missing", [](const std::string&, const std::string& p) { return ::lremovexattr(p.c_str(), "user.none"); }},
  };
  return ops;
}

// Makes dir/obj of `type` and dir/other (a regular file) as root, then
// gives dir to `uid` (mode 0777 so both users can work in it).
Outcome run_case(const std::string& dir, const FileType& type, const Operation& op, uid_t uid) {
  if (::mkdir(dir.c_str(), 0777) != 0 || ::chmod(dir.c_str(), 0777) != 0) return {errno, "setup: mkdir"};
  const std::string obj = dir + "/obj";
  if (type.make(obj) != 0) return {errno, "setup: make"};
  const int other = ::open((dir + "/other").c_str(), O_WRONLY | O_CREAT, 0644);
  if (other < 0) return {errno, "setup: other"};
  ::close(other);
  Outcome out;
  out.err = run_as(uid, [&] { return op.call(dir, obj); });
  out.after = describe(obj) + "; renamed: " + describe(dir + "/renamed") + "; other: " + describe(dir + "/other") +
              "; hard: " + describe(dir + "/hard");
  return out;
}

class Conformance : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: compares root's and another user's calls";
  }
};

TEST_F(Conformance, EveryOperationOnEveryFileTypeAnswersAsTheHostFilesystem) {
  const std::string mount = fresh_dir("conformance");
  const std::string plain = scratch_dir() + "/conformance";
  ASSERT_EQ(sh("rm -rf " + plain + " && mkdir -p " + plain), 0);
  struct statvfs fs {};
  ASSERT_EQ(::statvfs(mount.c_str(), &fs), 0);
  const bool nodev = (fs.f_flag & ST_NODEV) != 0;
  int cases = 0;
  for (const uid_t uid : {uid_t{0}, kNobody}) {
    for (const FileType& type : file_types()) {
      for (const Operation& op : operations()) {
        const std::string name = std::to_string(cases++);
        Outcome want = run_case(plain + "/" + name, type, op, uid);
        // A FUSE mount is nodev (as mounts by users are): devices on it
        // cannot be opened, as on any nodev filesystem.
        if (nodev && std::string(op.name).starts_with("open") && std::string(type.name).ends_with("device")) {
          want.err = EACCES;
        }
        const Outcome got = run_case(mount + "/" + name, type, op, uid);
        EXPECT_EQ(got.err, want.err) << op.name << " on a " << type.name << " as uid " << uid << ": got "
                                     << strerrorname_np(got.err) << ", the host gives " << strerrorname_np(want.err);
        EXPECT_EQ(got.after, want.after) << op.name << " on a " << type.name << " as uid " << uid;
      }
    }
  }
  EXPECT_GT(cases, 300);
}

// The same call in a fresh directory on the mount and on the host.
class Corner : public Conformance {
 protected:
  void SetUp() override {
    Conformance::SetUp();
    if (IsSkipped()) return;
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    dirs_[0] = fresh_dir("corner-" + name);
    dirs_[1] = scratch_dir() + "/corner-" + name;
    ASSERT_EQ(sh("rm -rf " + dirs_[1] + " && mkdir -p " + dirs_[1]), 0);
  }
  // Runs `call(dir)` as `uid` on both; expects the same errno.
  void same(const char* what, uid_t uid, const std::function<int(const std::string&)>& call) {
    const int want = run_as(uid, [&] { return call(dirs_[1]); });
    const int got = run_as(uid, [&] { return call(dirs_[0]); });
    EXPECT_EQ(got, want) << what << ": got " << strerrorname_np(got) << ", the host gives " << strerrorname_np(want);
  }
  void both(const std::function<void(const std::string&)>& setup) {
    for (const auto& d : dirs_) setup(d);
  }
  std::string dirs_[2];  // mount, host
};

int make_file(const std::string& path, mode_t mode = 0644) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
  if (fd < 0) return -1;
  const bool ok = ::write(fd, "data", 4) == 4;
  return ::close(fd) == 0 && ok ? 0 : -1;
}

TEST_F(Corner, LimitsAndTypeErrors) {
  both([](const std::string& d) {
    ASSERT_EQ(::mkdir((d + "/full").c_str(), 0755), 0);
    ASSERT_EQ(make_file(d + "/full/f"), 0);
    ASSERT_EQ(::mkdir((d + "/empty").c_str(), 0755), 0);
    ASSERT_EQ(make_file(d + "/file"), 0);
    ASSERT_EQ(::symlink("loop2", (d + "/loop1").c_str()), 0);
    ASSERT_EQ(::symlink("loop1", (d + "/loop2").c_str()), 0);
  });
  const std::string long_name(256, 'n');
  same("create a 256-byte name", 0, [&](const std::string& d) { return make_file(d + "/" + long_name); });
  same("stat a 256-byte name", 0, [&](const std::string& d) { struct stat st; return ::stat((d + "/" + long_name).c_str(), &st); });
  same("open a symlink loop", 0, [](const std::string& d) { return ::open((d + "/loop1").c_str(), O_RDONLY); });
  same("rmdir a full directory", 0, [](const std::string& d) { return ::rmdir((d + "/full").c_str()); });
  same("rename onto a full directory", 0, [](const std::string& d) { return ::rename((d + "/empty").c_str(), (d + "/full").c_str()); });
  same("rename a file onto a directory", 0, [](const std::string& d) { return ::rename((d + "/file").c_str(), (d + "/empty").c_str()); });
  same("rename a directory onto a file", 0, [](const std::string& d) { return ::rename((d + "/empty").c_str(), (d + "/file").c_str()); });
  same("rename a directory into itself", 0, [](const std::string& d) { return ::rename((d + "/full").c_str(), (d + "/full/sub").c_str()); });
  same("open a directory for writing", 0, [](const std::string& d) { return ::open((d + "/empty").c_str(), O_WRONLY); });
  same("unlink a directory", 0, [](const std::string& d) { return ::unlink((d + "/empty").c_str()); });
  same("rmdir a file", 0, [](const std::string& d) { return ::rmdir((d + "/file").c_str()); });
  same("a path through a file", 0, [](const std::string& d) { return ::mkdir((d + "/file/x").c_str(), 0755); });
  same("link a directory", 0, [](const std::string& d) { return ::link((d + "/empty").c_str(), (d + "/dirlink").c_str()); });
  same("O_DIRECTORY on a file", 0, [](const std::string& d) { return ::open((d + "/file").c_str(), O_RDONLY | O_DIRECTORY); });
}

TEST_F(Corner, TheStickyBitKeepsOthersFilesInPlace) {
  both([](const std::string& d) {
    ASSERT_EQ(::mkdir((d + "/tmp").c_str(), 01777), 0);
    ASSERT_EQ(::chmod((d + "/tmp").c_str(), 01777), 0);
    ASSERT_EQ(make_file(d + "/tmp/roots"), 0);
  });
  same("unlink root's file in a sticky dir", kNobody, [](const std::string& d) { return ::unlink((d + "/tmp/roots").c_str()); });
  same("rename root's file in a sticky dir", kNobody, [](const std::string& d) {
    return ::rename((d + "/tmp/roots").c_str(), (d + "/tmp/mine").c_str());
  });
  same("create own file in a sticky dir", kNobody, [](const std::string& d) { return make_file(d + "/tmp/own"); });
  same("unlink own file in a sticky dir", kNobody, [](const std::string& d) { return ::unlink((d + "/tmp/own").c_str()); });
}

TEST_F(Corner, SetuidAndSetgidAreClearedByAWriteOrChownOfAnotherUser) {
  if (data_dir().empty()) GTEST_SKIP() << "the in-memory FileSystem behind this mount has no setgid directories";
  both([](const std::string& d) {
    ASSERT_EQ(::chmod(d.c_str(), 0777), 0);
    ASSERT_EQ(make_file(d + "/suid", 06777), 0);
    ASSERT_EQ(::chmod((d + "/suid").c_str(), 06777), 0);
  });
  same("write to a setuid file as another user", kNobody, [](const std::string& d) {
    const int fd = ::open((d + "/suid").c_str(), O_WRONLY);
    if (fd < 0) return -1;
    const ssize_t n = ::write(fd, "x", 1);
    ::close(fd);
    return n == 1 ? 0 : -1;
  });
  EXPECT_EQ(describe(dirs_[0] + "/suid"), describe(dirs_[1] + "/suid"));
  both([](const std::string& d) {
    ASSERT_EQ(make_file(d + "/own", 0644), 0);
    ASSERT_EQ(::chown((d + "/own").c_str(), kNobody, kNobody), 0);
    ASSERT_EQ(::chmod((d + "/own").c_str(), 06755), 0);
  });
  same("chown own setuid file as its owner", kNobody, [](const std::string& d) {
    return ::chown((d + "/own").c_str(), kNobody, kNobody);
  });
  EXPECT_EQ(describe(dirs_[0] + "/own"), describe(dirs_[1] + "/own"));
  both([](const std::string& d) {
    ASSERT_EQ(::mkdir((d + "/sgid").c_str(), 0777), 0);
    ASSERT_EQ(::chown((d + "/sgid").c_str(), 0, kNobody), 0);
    ASSERT_EQ(::chmod((d + "/sgid").c_str(), 02777), 0);
    ASSERT_EQ(make_file(d + "/sgid/inherits"), 0);
    ASSERT_EQ(::mkdir((d + "/sgid/subdir").c_str(), 0755), 0);
  });
  EXPECT_EQ(describe(dirs_[0] + "/sgid/inherits"), describe(dirs_[1] + "/sgid/inherits")) << "group of a setgid dir";
  EXPECT_EQ(describe(dirs_[0] + "/sgid/subdir"), describe(dirs_[1] + "/sgid/subdir")) << "setgid dirs propagate";
}

// A descriptor that created its file for writing only writes past the
// kernel's page cache on dfs (fs::FileSystem::writes_uncached), where the
// kernel leaves setuid and setgid to the filesystem: the same bits must go
// as the host's write takes them, by root (none) and by another user.
TEST_F(Corner, AWriteThroughTheCreatingDescriptorClearsSetuidAsOtherWrites) {
  both([](const std::string& d) { ASSERT_EQ(::chmod(d.c_str(), 0777), 0); });
  int n = 0;
  for (const uid_t uid : {uid_t{0}, kNobody}) {
    for (const mode_t mode : {mode_t{06755}, mode_t{04700}, mode_t{02745}, mode_t{02755}}) {
      const std::string name = "/f" + std::to_string(n++);
      same("create, make setid, write", uid, [&](const std::string& d) {
        const int fd = ::open((d + name).c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd < 0) return -1;
        const bool ok = ::fchmod(fd, mode) == 0 && ::write(fd, "x", 1) == 1;
        return ::close(fd) == 0 && ok ? 0 : -1;
      });
      EXPECT_EQ(describe(dirs_[0] + name), describe(dirs_[1] + name)) << "mode " << std::oct << mode << std::dec << " uid " << uid;
    }
  }
}

TEST_F(Corner, ChangesToMetadataUpdateCtime) {
  const std::string f = dirs_[0] + "/f";
  ASSERT_EQ(make_file(f), 0);
  const timespec old_times[2] = {{1000, 0}, {1000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, f.c_str(), old_times, 0), 0);
  struct stat before {};
  ASSERT_EQ(::stat(f.c_str(), &before), 0);
  // ctime moves on with each change; the clock is the filesystem's, so
  // "not earlier" is all a test can ask without waiting.
  for (const auto& change : std::vector<std::function<int()>>{
           [&] { return ::chmod(f.c_str(), 0600); },
           [&] { return ::link(f.c_str(), (f + ".link").c_str()); },
           [&] { return ::setxattr(f.c_str(), "user.x", "1", 1, 0); },
           [&] { return ::rename(f.c_str(), (f + ".moved").c_str()) || ::rename((f + ".moved").c_str(), f.c_str()); }}) {
    ASSERT_EQ(change(), 0) << std::strerror(errno);
    struct stat after {};
    ASSERT_EQ(::stat(f.c_str(), &after), 0);
    EXPECT_GE(after.st_ctim.tv_sec, before.st_ctim.tv_sec);
    EXPECT_GT(after.st_ctim.tv_sec, 1000) << "ctime is not the mtime we set";
    EXPECT_EQ(after.st_mtim.tv_sec, 1000) << "a metadata change leaves mtime";
    before = after;
  }
}

TEST_F(Corner, RenameOverAnOpenFileKeepsItReadable) {
  const std::string d = dirs_[0];
  ASSERT_EQ(make_file(d + "/old"), 0);
  const int fd = ::open((d + "/old").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  const int nfd = ::open((d + "/new").c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_EQ(::write(nfd, "NEW!", 4), 4);
  ASSERT_EQ(::close(nfd), 0);
  ASSERT_EQ(::rename((d + "/new").c_str(), (d + "/old").c_str()), 0);
  char buf[8] = {};
  EXPECT_EQ(::pread(fd, buf, sizeof buf, 0), 4);
  EXPECT_STREQ(buf, "data");
  ::close(fd);
}

TEST_F(Corner, LocksAreSharedBetweenProcessesOnTheMount) {
  const std::string f = dirs_[0] + "/locked";
  ASSERT_EQ(make_file(f), 0);
  const int fd = ::open(f.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  lock.l_len = 10;
  ASSERT_EQ(::fcntl(fd, F_SETLK, &lock), 0);
  EXPECT_EQ(run_as(0, [&] {
              const int other = ::open(f.c_str(), O_RDWR);
              return ::flock(other, LOCK_EX | LOCK_NB);
            }),
            EWOULDBLOCK);
  EXPECT_EQ(run_as(0, [&] {
              const int other = ::open(f.c_str(), O_RDWR);
              struct flock mine = lock;
              return ::fcntl(other, F_SETLK, &mine);
            }),
            EAGAIN);
  ::close(fd);
  EXPECT_EQ(run_as(0, [&] {
              const int other = ::open(f.c_str(), O_RDWR);
              return ::flock(other, LOCK_EX | LOCK_NB);
            }),
            0);
}

TEST_F(Corner, TmpfileAndAclsAreRefusedClearly) {
  EXPECT_EQ(run_as(0, [&] { return ::open(dirs_[0].c_str(), O_TMPFILE | O_RDWR, 0600); }), EOPNOTSUPP);
  const std::string f = dirs_[0] + "/f";
  ASSERT_EQ(make_file(f), 0);
  // A minimal access ACL (user::rw-, group::r--, other::r--).
  const unsigned char acl[] = {2, 0, 0, 0, 1, 0, 6, 0, 0xff, 0xff, 0xff, 0xff, 4, 0, 4, 0,
                               0xff, 0xff, 0xff, 0xff, 0x20, 0, 4, 0, 0xff, 0xff, 0xff, 0xff};
  EXPECT_EQ(run_as(0, [&] { return ::setxattr(f.c_str(), "system.posix_acl_access", acl, sizeof acl, 0); }),
            EOPNOTSUPP);
}

TEST_F(Corner, FallocateModesAnswerAsTheHost) {
  if (data_dir().empty()) GTEST_SKIP() << "the in-memory FileSystem behind this mount has no fallocate";
  both([](const std::string& d) { ASSERT_EQ(make_file(d + "/f"), 0); });
  for (const int mode : {0, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, FALLOC_FL_ZERO_RANGE,
                         FALLOC_FL_PUNCH_HOLE}) {
    same(("fallocate mode " + std::to_string(mode)).c_str(), 0, [&](const std::string& d) {
      const int fd = ::open((d + "/f").c_str(), O_RDWR);
      const int rc = ::fallocate(fd, mode, 2, 8192);
      ::close(fd);
      return rc;
    });
    EXPECT_EQ(describe(dirs_[0] + "/f"), describe(dirs_[1] + "/f")) << "mode " << mode;
  }
}

}  // namespace
}  // namespace dfs::fuse::test
