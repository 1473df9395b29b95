// The control socket's mount requests (dfs open, dfs snapshot): each
// reaches the handler the server was given (an open with the caller's
// uid/gid from the kernel), and its answer or error travels back; a server
// without a handler (dfs node) refuses it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <optional>

#include "../../common/temp_dir.hpp"
#include "dfs/control/control.hpp"
#include "dfs/control/control_channel.hpp"
#include "dfs/node/node.hpp"

namespace dfs::control {
namespace {

const std::string kSomeId = "dfs1fa" + std::string(102, 'b');  // a file's ID: tag 'f', then manifest and key

class ControlOpenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    node::NodeOptions options;
    options.data_dir = dir_.file("data");
    auto opened = node::Node::open(options);
    ASSERT_TRUE(opened.ok()) << opened.error().to_string();
    node_ = std::move(*opened);
  }

  void serve(OpenHandler open, SnapshotHandler snapshot = {}) {
    auto server = ControlServer::start(control_socket_path(dir_.file("data")), *node_,
                                       MountHandlers{std::move(open), std::move(snapshot)});
    ASSERT_TRUE(server.ok()) << server.error().to_string();
    server_ = std::move(*server);
  }

  Result<std::unique_ptr<ControlClient>> client() {
    auto client = ControlClient::connect(control_socket_path(dir_.file("data")));
    if (!client.ok()) return client.take_error();
    if (!*client) return make_error(Errc::unavailable, "nobody serves the socket");
    return std::move(**client);
  }

  Result<std::string> open_through_socket(const OpenSharedRequest& request) {
    DFS_ASSIGN_OR_RETURN(auto c, client());
    return c->open_shared(request);
  }

  Result<node::SnapshotOutcome> snapshot_through_socket() {
    DFS_ASSIGN_OR_RETURN(auto c, client());
    return c->snapshot();
  }

  static OpenSharedRequest some_request() {
    OpenSharedRequest request(*FileId::parse(kSomeId));
    request.path = "/mnt/dfs/shared";
    request.cwd = "/home/someone";
    request.umask = 027;
    request.uid = 4242;  // ignored: the server asks the kernel
    return request;
  }

  dfs::testing::TempDir dir_{"dfs-control-test"};
  std::unique_ptr<node::Node> node_;
  std::unique_ptr<ControlServer> server_;
};

TEST_F(ControlOpenTest, AnOpenReachesTheHandlerWithTheCallersIdentityFromTheKernel) {
  std::optional<OpenSharedRequest> seen;
  serve([&seen](const OpenSharedRequest& request) -> Result<std::string> {
    seen = request;
    return std::string("/mnt/dfs/shared");
  });
  auto placed = open_through_socket(some_request());
  ASSERT_TRUE(placed.ok()) << placed.error().to_string();
  EXPECT_EQ(*placed, "/mnt/dfs/shared");
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->id.to_string(), kSomeId);
  EXPECT_EQ(seen->path, "/mnt/dfs/shared");
  EXPECT_EQ(seen->cwd, "/home/someone");
  EXPECT_EQ(seen->umask, 027u);
  EXPECT_EQ(seen->uid, ::getuid());
  EXPECT_EQ(seen->gid, ::getgid());
}

TEST_F(ControlOpenTest, TheHandlersErrorTravelsBackWithItsCode) {
  serve([](const OpenSharedRequest&) -> Result<std::string> {
    return make_error(Errc::already_exists, "/mnt/dfs/shared already exists");
  });
  auto placed = open_through_socket(some_request());
  ASSERT_FALSE(placed.ok());
  EXPECT_EQ(placed.error().code, Errc::already_exists);
  EXPECT_EQ(placed.error().message, "/mnt/dfs/shared already exists");
}

TEST_F(ControlOpenTest, APeerWithoutAMountRefusesAnOpen) {
  serve({});
  auto placed = open_through_socket(some_request());
  ASSERT_FALSE(placed.ok());
  EXPECT_EQ(placed.error().code, Errc::not_supported);
  EXPECT_NE(placed.error().message.find("dfsmount"), std::string::npos) << placed.error().message;
}

TEST_F(ControlOpenTest, ASnapshotRequestReachesTheMountAndItsOutcomeTravelsBack) {
  int asked = 0;
  serve({}, [&asked]() -> Result<node::SnapshotOutcome> {
    ++asked;
    node::SnapshotOutcome taken;
    taken.snapshot.taken_at = 1'700'000'000;
    taken.snapshot.files = 2000;
    taken.snapshot.bytes = 123456;
    taken.published = true;
    taken.sequence = 1'700'000'000'000;
    return taken;
  });
  auto taken = snapshot_through_socket();
  ASSERT_TRUE(taken.ok()) << taken.error().to_string();
  EXPECT_EQ(asked, 1);
  EXPECT_EQ(taken->snapshot.taken_at, 1'700'000'000);
  EXPECT_EQ(taken->snapshot.files, 2000u);
  EXPECT_EQ(taken->snapshot.bytes, 123456u);
  EXPECT_TRUE(taken->published);
  EXPECT_EQ(taken->sequence, 1'700'000'000'000u);
  EXPECT_EQ(taken->snapshot.root, FileId{});  // the root's capability stays in the mount
}

TEST_F(ControlOpenTest, APeerThatTakesNoSnapshotsSaysWhatWouldMakeIt) {
  serve({});
  auto taken = snapshot_through_socket();
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.error().code, Errc::not_supported);
  EXPECT_NE(taken.error().message.find("dfs recovery-key"), std::string::npos) << taken.error().message;
}

}  // namespace
}  // namespace dfs::control
