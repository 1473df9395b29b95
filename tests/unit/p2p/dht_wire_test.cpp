// The DHT wire codec (p2p/dht_wire.hpp): what it encodes round-trips, and
// contacts from a peer are bounded (issue 16: several addresses each, but
// not too many, none empty, none too long).
#include "dfs/p2p/dht_wire.hpp"

#include <gtest/gtest.h>

namespace dfs::p2p {
namespace {

dht::Contact dual_stack_contact() {
  dht::Contact contact;
  contact.id.bytes[1] = 9;
  contact.address = "127.0.0.1:4001";
  contact.more_addresses = {"[::1]:4001"};
  return contact;
}

TEST(DhtWire, RequestsAndResponsesRoundTrip) {
  dht::NodeId target;
  target.bytes[0] = 7;
  const dht::Request request = dht::FindNodeRequest{target};
  const wire::Envelope encoded = dht_request_to_wire(request);
  EXPECT_TRUE(is_dht_request(encoded));
  auto decoded = dht_request_from_wire(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  EXPECT_EQ(*decoded, request);

  dht::Contact single = dual_stack_contact();
  single.more_addresses.clear();
  const dht::Response response = dht::FindNodeResponse{{single, dual_stack_contact()}};
  auto back = dht_response_from_wire(dht_response_to_wire(response));
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(*back, response);
}

// What a peer of an earlier version sends (no field 3) and reads (it skips
// field 3): the first address alone, as before.
TEST(DhtWire, AContactFromAPeerThatKnowsOneAddressDecodesWithOne) {
  wire::Contact old;
  contact_to_wire(dual_stack_contact(), old);
  old.clear_more_addresses();
  auto decoded = contact_from_wire(old);
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  EXPECT_EQ(decoded->address, "127.0.0.1:4001");
  EXPECT_TRUE(decoded->more_addresses.empty());
}

TEST(DhtWire, AContactWithMoreAddressesThanTheLimitIsRejected) {
  wire::Contact hostile;
  contact_to_wire(dual_stack_contact(), hostile);
  while (static_cast<std::size_t>(hostile.more_addresses_size()) < dht::kMaxAddressesPerContact - 1) {
    hostile.add_more_addresses("[::1]:4002");
  }
  ASSERT_TRUE(contact_from_wire(hostile).ok());  // at the limit
  hostile.add_more_addresses("[::1]:4003");
  auto decoded = contact_from_wire(hostile);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().code, Errc::corrupt);
  EXPECT_NE(decoded.error().message.find("addresses, more than"), std::string::npos) << decoded.error().message;

  // Inside a FIND_NODE answer the whole answer is refused.
  wire::Envelope env;
  *env.mutable_find_node_result()->add_contacts() = hostile;
  EXPECT_FALSE(dht_response_from_wire(env).ok());
}

TEST(DhtWire, AContactWithATooLongOrEmptyFurtherAddressIsRejected) {
  wire::Contact hostile;
  contact_to_wire(dual_stack_contact(), hostile);
  hostile.set_more_addresses(0, std::string(dht::kMaxAddressSize, 'a'));
  ASSERT_TRUE(contact_from_wire(hostile).ok());  // at the limit
  hostile.set_more_addresses(0, std::string(dht::kMaxAddressSize + 1, 'a'));
  EXPECT_FALSE(contact_from_wire(hostile).ok());
  hostile.set_more_addresses(0, "");
  EXPECT_FALSE(contact_from_wire(hostile).ok());
}

}  // namespace
}  // namespace dfs::p2p
