// A locate's reply on the control socket (service_proto.hpp): the places
// of a tree's chunks travel in pages, each under the message limit, and
// read back as they were sent; the reader refuses more chunks than its
// bound, IDs that do not parse and pages after the end.
#include <gtest/gtest.h>

#include "dfs/control/control_channel.hpp"
#include "service_proto.hpp"

namespace dfs::control {
namespace {

dht::Contact peer(int i) {
  return dht::Contact{dht::NodeId::from_chunk(ChunkId::of(Bytes{static_cast<std::uint8_t>(i)})),
                      "127.0.0." + std::to_string(i + 1) + ":4000"};
}

// `n` chunks, each held by three peers (one lacking, one unreachable on odd ones).
node::FileLocation location_of(std::size_t n) {
  node::FileLocation l;
  l.replicas = 3;
  l.files = 4321;
  l.chunks_placed_again = 7;
  for (std::size_t i = 0; i < n; ++i) {
    replicate::ChunkLocation c;
    Bytes seed(8);
    for (std::size_t b = 0; b < 8; ++b) seed[b] = static_cast<std::uint8_t>(i >> (8 * b));
    c.id = ChunkId::of(seed);
    c.self_is_replica = i % 3 == 0;
    c.self_holds = i % 6 == 0;
    c.holders = {peer(1), peer(2)};
    if (i % 2) c.unreachable = {peer(3)};
    else c.lacking = {peer(4)};
    l.chunks.push_back(std::move(c));
  }
  return l;
}

std::vector<Reply> sent(const node::FileLocation& l) {
  std::vector<Reply> replies;
  Status s = send_location(l, [&replies](const Reply& r) -> Status {
    replies.push_back(r);
    return {};
  });
  EXPECT_TRUE(s.ok());
  return replies;
}

bool same(const std::vector<dht::Contact>& a, const std::vector<dht::Contact>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].id != b[i].id || a[i].address != b[i].address) return false;
  }
  return true;
}

TEST(LocatePages, ATreesPlacesTravelInPagesUnderTheMessageLimitAndReadBackAsSent) {
  const node::FileLocation l = location_of(20000);
  const std::vector<Reply> replies = sent(l);
  ASSERT_GT(replies.size(), 3u) << "20,000 places do not fit one page";
  LocationReader reader;
  for (std::size_t i = 0; i + 1 < replies.size(); ++i) {
    ASSERT_TRUE(replies[i].has_locate_page());
    EXPECT_LT(replies[i].ByteSizeLong(), kMaxControlMessageSize);
    ASSERT_TRUE(reader.page(replies[i].locate_page()).ok());
  }
  ASSERT_TRUE(replies.back().has_locate());
  auto back = reader.finish(replies.back().locate());
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(back->replicas, 3u);
  EXPECT_EQ(back->files, 4321u);
  EXPECT_EQ(back->chunks_placed_again, 7u);
  ASSERT_EQ(back->chunks.size(), l.chunks.size());
  for (std::size_t i = 0; i < l.chunks.size(); ++i) {
    const auto& a = l.chunks[i];
    const auto& b = back->chunks[i];
    ASSERT_EQ(a.id, b.id) << i;
    ASSERT_EQ(a.self_is_replica, b.self_is_replica) << i;
    ASSERT_EQ(a.self_holds, b.self_holds) << i;
    ASSERT_TRUE(same(a.holders, b.holders) && same(a.lacking, b.lacking) && same(a.unreachable, b.unreachable)) << i;
  }
}

TEST(LocatePages, AFileOfNoChunksIsOneFinalReply) {
  node::FileLocation empty;
  const std::vector<Reply> replies = sent(empty);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_TRUE(replies[0].has_locate());
}

TEST(LocatePages, TheReaderRefusesMoreChunksThanItsBoundAcrossPages) {
  const std::vector<Reply> replies = sent(location_of(10));
  LocatePage first, second;
  for (int i = 0; i < 6; ++i) *first.add_chunks() = replies[0].locate_page().chunks(i);
  for (int i = 6; i < 10; ++i) *second.add_chunks() = replies[0].locate_page().chunks(i);
  LocationReader reader(/*max_chunks=*/9);
  ASSERT_TRUE(reader.page(first).ok());
  Status over = reader.page(second);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, Errc::too_large);
}

TEST(LocatePages, TheReaderRefusesAChunkOrPeerIdThatDoesNotParse) {
  const std::vector<Reply> replies = sent(location_of(2));
  LocatePage bad_chunk = replies[0].locate_page();
  bad_chunk.mutable_chunks(1)->set_chunk_id("not hex");
  EXPECT_FALSE(LocationReader().page(bad_chunk).ok());
  LocatePage bad_peer = replies[0].locate_page();
  bad_peer.mutable_chunks(0)->mutable_holders(0)->set_node_id(std::string(64, 'z'));
  EXPECT_FALSE(LocationReader().page(bad_peer).ok());
}

TEST(LocatePages, TheReaderRefusesPagesAndRepliesAfterTheEnd) {
  const std::vector<Reply> replies = sent(location_of(2));
  LocationReader reader;
  ASSERT_TRUE(reader.page(replies[0].locate_page()).ok());
  ASSERT_TRUE(reader.finish(replies[1].locate()).ok());
  EXPECT_FALSE(reader.page(replies[0].locate_page()).ok());
  EXPECT_FALSE(reader.finish(replies[1].locate()).ok());
}

}  // namespace
}  // namespace dfs::control
