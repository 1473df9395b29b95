// Fuzzes the DHT message decoders (p2p/dht_wire.hpp) on envelopes from a
// peer: parse the Envelope, decode it as a DHT request and as a response.
//
// Properties: a decoded message satisfies the DHT's bounds (32-byte IDs,
// non-empty addresses of at most kMaxAddressSize bytes, at most
// kMaxAddressesPerContact of them per contact, at most
// kMaxContactsPerResponse contacts, valid records), and re-encoding it and
// decoding again gives the same message back.
#include "dfs/p2p/dht_wire.hpp"
#include "fuzz_common.hpp"

namespace {

void check_contacts(const std::vector<dfs::dht::Contact>& contacts) {
  FUZZ_CHECK(contacts.size() <= dfs::dht::kMaxContactsPerResponse);
  for (const auto& c : contacts) {
    FUZZ_CHECK(c.addresses().size() <= dfs::dht::kMaxAddressesPerContact);
    for (const auto& a : c.addresses()) FUZZ_CHECK(!a.empty() && a.size() <= dfs::dht::kMaxAddressSize);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dfs;
  wire::Envelope env;
  if (!env.ParseFromArray(data, static_cast<int>(size))) return 0;

  if (auto request = p2p::dht_request_from_wire(env); request.ok()) {
    FUZZ_CHECK(p2p::is_dht_request(env));
    auto again = p2p::dht_request_from_wire(p2p::dht_request_to_wire(*request));
    FUZZ_CHECK(again.ok() && *again == *request);
  }
  if (auto response = p2p::dht_response_from_wire(env); response.ok()) {
    if (auto* found = std::get_if<dht::FindNodeResponse>(&*response)) check_contacts(found->contacts);
    if (auto* found = std::get_if<dht::FindValueResponse>(&*response)) {
      check_contacts(found->contacts);
      for (const auto& r : found->records) FUZZ_CHECK(dht::validate_record(r).ok());
    }
    auto again = p2p::dht_response_from_wire(p2p::dht_response_to_wire(*response));
    FUZZ_CHECK(again.ok() && *again == *response);
  }
  return 0;
}
