// The lease query on the control socket (node::Service::leases): a peer
// answers when the lease on each chunk asked ends (and its placer's key), counting leases it has
// not written to its index yet, and refuses queries past its bound or with
// IDs of the wrong length.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>
#include <optional>

#include "../../common/temp_dir.hpp"
#include "control.pb.h"
#include "dfs/control/control.hpp"
#include "dfs/control/control_channel.hpp"
#include "dfs/node/data_dir.hpp"
#include "dfs/node/leases.hpp"
#include "dfs/node/node.hpp"

namespace dfs::control {
namespace {

ChunkId chunk(std::uint8_t n) { return ChunkId::of(Bytes{n}); }

class ControlLeasesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tmp_.ok());
    node::NodeOptions options;
    options.data_dir = tmp_.file("data");
    auto dir = node::DataDir::open(options);
    ASSERT_TRUE(dir.ok()) << dir.error().to_string();
    dir_ = std::move(*dir);
    node_ = std::make_unique<node::Node>(*dir_);
    auto server = ControlServer::start(socket(), *node_);
    ASSERT_TRUE(server.ok()) << server.error().to_string();
    server_ = std::move(*server);
  }

  std::string socket() { return control_socket_path(tmp_.file("data")); }

  // One request sent as it is, past the client's own checks.
  Reply raw(const Request& request) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket().c_str(), sizeof addr.sun_path - 1);
    EXPECT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_TRUE(send_control_message(fd.get(), request).ok());
    Reply reply;
    EXPECT_TRUE(receive_control_message(fd.get(), reply).ok());
    return reply;
  }

  dfs::testing::TempDir tmp_{"dfs-control-leases-test"};
  std::unique_ptr<node::DataDir> dir_;
  std::unique_ptr<node::Node> node_;
  std::unique_ptr<ControlServer> server_;
};

TEST_F(ControlLeasesTest, EachChunkAskedGetsItsLeaseEndInOrderBufferedOnesIncluded) {
  const index::Index::Key32 key{7, 7, 7};
  ASSERT_TRUE(dir_->index().extend_leases({index::Index::LeaseGrant{chunk(1), std::nullopt, key}}, 2'000'000'000).ok());
  const std::int64_t before = unix_seconds();
  dir_->leases().lease(chunk(2), dht::NodeId{}, {});  // buffered, not in the index yet
  auto client = ControlClient::connect(socket());
  ASSERT_TRUE(client.ok() && *client);
  auto ends = (**client)->leases({chunk(1), chunk(3), chunk(2)});
  ASSERT_TRUE(ends.ok()) << ends.error().to_string();
  ASSERT_EQ(ends->size(), 3u);
  EXPECT_EQ((*ends)[0], (node::HeldLease{2'000'000'000, key}));
  EXPECT_EQ((*ends)[1], std::nullopt);
  ASSERT_TRUE((*ends)[2].has_value());
  EXPECT_GE((*ends)[2]->expires_at, before + dir_->leases().length().count());
  EXPECT_EQ((*ends)[2]->placer_key, std::nullopt);
}

TEST_F(ControlLeasesTest, AQueryOfMoreChunksThanTheBoundIsRefused) {
  Request request;
  for (std::size_t i = 0; i <= node::kMaxLeaseQuery; ++i) request.mutable_leases()->add_chunk_ids(std::string(32, 'x'));
  Reply reply = raw(request);
  ASSERT_TRUE(reply.has_error());
  EXPECT_EQ(static_cast<Errc>(reply.error().code()), Errc::too_large);
}

TEST_F(ControlLeasesTest, AChunkIdOfTheWrongLengthIsRefused) {
  Request request;
  request.mutable_leases()->add_chunk_ids(std::string(31, 'x'));
  Reply reply = raw(request);
  ASSERT_TRUE(reply.has_error());
  EXPECT_EQ(static_cast<Errc>(reply.error().code()), Errc::invalid_argument);
}

}  // namespace
}  // namespace dfs::control
