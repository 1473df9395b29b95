// await_data_dir_release against a stand-in for a dfsmount that
// fusermount3 -u has just unmounted: it still holds the store's lock and
// answers on its control socket for a moment, then lets go of both.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <thread>

#include "../../../src/cli/cli_util.hpp"
#include "dfs/control/control_channel.hpp"
#include "../../common/temp_dir.hpp"

namespace dfs::cli {
namespace {

// Whether some process (here: this one, through another descriptor) holds
// the store's lock, as DiskChunkStore does while open.
bool held(const std::string& data_dir) {
  const int fd = ::open((data_dir + "/store/LOCK").c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  const bool could_lock = ::flock(fd, LOCK_EX | LOCK_NB) == 0;  // released by the close
  ::close(fd);
  return !could_lock;
}

// Holds DIR/store/LOCK and listens on DIR's control socket; after `answers`
// connections it releases the lock and stops listening, as an exiting peer.
class ExitingPeer {
 public:
  ExitingPeer(const std::string& data_dir, int answers) {
    std::filesystem::create_directories(data_dir + "/store");
    lock_ = ::open((data_dir + "/store/LOCK").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    EXPECT_EQ(::flock(lock_, LOCK_EX), 0);
    listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string path = control::control_socket_path(data_dir);
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(listener_, 16), 0);
    thread_ = std::thread([this, answers, path] {
      for (int i = 0; i < answers; ++i) {
        const int conn = ::accept(listener_, nullptr, nullptr);
        if (conn < 0) return;  // shut down by the destructor
        ::close(conn);
      }
      ::unlink(path.c_str());
      ::close(lock_);
      lock_ = -1;
    });
  }
  ~ExitingPeer() {
    ::shutdown(listener_, SHUT_RDWR);  // ends a pending accept
    thread_.join();
    ::close(listener_);
    if (lock_ >= 0) ::close(lock_);
  }

 private:
  int lock_ = -1;
  int listener_ = -1;
  std::thread thread_;
};

// The old wait gave up at the first answer and the next dfsmount failed
// with "already open" (seen in MountCli.RemountingRightAfterFusermountWorks).
TEST(AwaitDataDirRelease, APeerThatAnsweredOnceButIsExitingIsWaitedFor) {
  testing::TempDir dir("dfs-release-test");
  ExitingPeer peer(dir.path(), /*answers=*/3);
  ASSERT_TRUE(held(dir.path()));
  await_data_dir_release(dir.path(), kReleaseWait);
  EXPECT_FALSE(held(dir.path())) << "returned while the exiting peer still held the data directory";
}

TEST(AwaitDataDirRelease, NobodyHoldingReturnsAtOnce) {
  testing::TempDir dir("dfs-release-test");
  std::filesystem::create_directories(dir.path() + "/store");
  await_data_dir_release(dir.path(), kReleaseWait);
  EXPECT_FALSE(held(dir.path()));
}

}  // namespace
}  // namespace dfs::cli
