// The daemon both mains run: it opens the node, joins a network only when
// one is named, serves the control socket (and GC) once asked to, stops
// serving before it stops the peer, and takes the stop signals the mains
// wait for.
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>

#include <fstream>

#include "../../common/temp_dir.hpp"
#include "dfs/control/control_channel.hpp"
#include "dfs/daemon/daemon.hpp"

namespace dfs::daemon {
namespace {

class DaemonTest : public ::testing::Test {
 protected:
  DaemonOptions options(bool networked) {
    DaemonOptions o;
    o.node.data_dir = dir_.file("data");
    if (networked) {
      p2p::PeerOptions peer;
      peer.data_dir = o.node.data_dir;
      peer.listen = "127.0.0.1:0";
      o.peer = peer;
    }
    return o;
  }

  // The status the control socket reports; nullopt when nobody serves it.
  std::optional<node::ServiceStatus> status_through_socket() {
    auto client = control::ControlClient::connect(control::control_socket_path(dir_.file("data")));
    EXPECT_TRUE(client.ok()) << client.error().to_string();
    if (!client.ok() || !*client) return std::nullopt;
    auto status = (**client)->status();
    EXPECT_TRUE(status.ok()) << status.error().to_string();
    if (!status.ok()) return std::nullopt;
    return *status;
  }

  testing::TempDir dir_{"dfs-daemon-test"};
};

TEST_F(DaemonTest, ALonePeerServesItsNodeOnTheControlSocketOnlyOnceAskedAndUntilStopped) {
  auto daemon = Daemon::open(options(false));
  ASSERT_TRUE(daemon.ok()) << daemon.error().to_string();
  EXPECT_EQ((*daemon)->peer(), nullptr);
  EXPECT_EQ((*daemon)->describe(), "lone peer");
  EXPECT_FALSE(status_through_socket().has_value());

  ASSERT_TRUE((*daemon)->serve().ok());
  auto status = status_through_socket();
  ASSERT_TRUE(status.has_value());
  EXPECT_FALSE(status->networked);
  EXPECT_EQ(status->data_dir, dir_.file("data"));

  (*daemon)->stop();
  EXPECT_FALSE(status_through_socket().has_value());
}

TEST_F(DaemonTest, ANamedNetworkStartsThePeerAndAttachesItToTheNode) {
  auto daemon = Daemon::open(options(true));
  ASSERT_TRUE(daemon.ok()) << daemon.error().to_string();
  p2p::Peer* peer = (*daemon)->peer();
  ASSERT_NE(peer, nullptr);
  EXPECT_EQ((*daemon)->describe(), "peer " + peer->node_id_hex() + " listening on " + peer->listen_address());
  EXPECT_EQ(peer->listen_address().rfind("127.0.0.1:", 0), 0u) << peer->listen_address();

  ASSERT_TRUE((*daemon)->serve().ok());
  auto status = status_through_socket();
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(status->networked);
  EXPECT_EQ(status->node_id, peer->node_id_hex());
  EXPECT_EQ(status->listen_address, peer->listen_address());

  (*daemon)->stop();
  // Detached: the node answers as a lone peer would, not through a stopped peer.
  auto after = (*daemon)->node().status();
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->networked);
}

TEST_F(DaemonTest, ADataDirectoryThatCannotBeOpenedIsNamedInTheError) {
  { std::ofstream(dir_.file("data")) << "a file, not a directory"; }
  auto daemon = Daemon::open(options(false));
  ASSERT_FALSE(daemon.ok());
  EXPECT_NE(daemon.error().message.find("cannot open " + dir_.file("data")), std::string::npos)
      << daemon.error().message;
}

TEST_F(DaemonTest, StopServingRefusesNewRequestsButLeavesThePeerRunning) {
  auto daemon = Daemon::open(options(true));
  ASSERT_TRUE(daemon.ok()) << daemon.error().to_string();
  ASSERT_TRUE((*daemon)->serve().ok());
  (*daemon)->stop_serving();
  EXPECT_FALSE(status_through_socket().has_value());
  auto status = (*daemon)->node().status();
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(status->networked);
}

TEST(StopSignals, ABlockedStopSignalIsTakenByWaitForStopSignal) {
  block_stop_signals();
  // Sent to this thread, so no other thread of the test can take it.
  ASSERT_EQ(pthread_kill(pthread_self(), SIGHUP), 0);
  EXPECT_EQ(wait_for_stop_signal(), SIGHUP);
  ASSERT_EQ(pthread_kill(pthread_self(), SIGTERM), 0);
  EXPECT_EQ(wait_for_stop_signal(), SIGTERM);
  block_stop_signals(false);
  EXPECT_STREQ(stop_signal_name(SIGINT), "interrupted");
  EXPECT_STREQ(stop_signal_name(SIGTERM), "terminated");
  EXPECT_STREQ(stop_signal_name(SIGHUP), "hung up");
}

}  // namespace
}  // namespace dfs::daemon
