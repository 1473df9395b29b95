#include "dfs/p2p/dht_wire.hpp"

#include <cstring>

namespace dfs::p2p {

namespace {

std::string id_bytes(const dht::NodeId& id) { return std::string(id.bytes.begin(), id.bytes.end()); }

Result<dht::NodeId> id_from(const std::string& bytes, const char* field) {
  if (bytes.size() != dht::kIdBytes) {
    return make_error(Errc::corrupt, std::string(field) + " has " + std::to_string(bytes.size()) + " bytes, not 32");
  }
  dht::NodeId id;
  std::memcpy(id.bytes.data(), bytes.data(), dht::kIdBytes);
  return id;
}

void record_to_wire(const dht::Record& r, wire::Record& out) {
  out.set_key(id_bytes(r.key));
  out.set_value(std::string(r.value.begin(), r.value.end()));
  out.set_ttl_seconds(r.ttl_seconds);
  out.set_publisher(id_bytes(r.publisher));
}

Result<dht::Record> record_from_wire(const wire::Record& r) {
  dht::Record out;
  DFS_ASSIGN_OR_RETURN(out.key, id_from(r.key(), "record key"));
  DFS_ASSIGN_OR_RETURN(out.publisher, id_from(r.publisher(), "record publisher"));
  out.value.assign(r.value().begin(), r.value().end());
  out.ttl_seconds = r.ttl_seconds();
  DFS_TRY(dht::validate_record(out));
  return out;
}

template <typename Contacts>
Result<std::vector<dht::Contact>> contacts_from_wire(const Contacts& contacts) {
  if (static_cast<std::size_t>(contacts.size()) > dht::kMaxContactsPerResponse) {
    return make_error(Errc::corrupt, "a reply lists " + std::to_string(contacts.size()) + " contacts, more than " +
                                         std::to_string(dht::kMaxContactsPerResponse));
  }
  std::vector<dht::Contact> out;
  out.reserve(static_cast<std::size_t>(contacts.size()));
  for (const auto& c : contacts) {
    DFS_ASSIGN_OR_RETURN(dht::Contact contact, contact_from_wire(c));
    out.push_back(std::move(contact));
  }
  return out;
}

}  // namespace

void contact_to_wire(const dht::Contact& contact, wire::Contact& out) {
  out.set_node_id(id_bytes(contact.id));
  out.set_address(contact.address);
  for (const auto& more : contact.more_addresses) out.add_more_addresses(more);
}

Result<dht::Contact> contact_from_wire(const wire::Contact& contact) {
  dht::Contact out;
  DFS_ASSIGN_OR_RETURN(out.id, id_from(contact.node_id(), "contact node ID"));
  const auto bad_address = [](const std::string& a) { return a.empty() || a.size() > dht::kMaxAddressSize; };
  if (bad_address(contact.address())) {
    return make_error(Errc::corrupt, "a contact's address is empty or longer than " +
                                         std::to_string(dht::kMaxAddressSize) + " bytes");
  }
  out.address = contact.address();
  const auto more = static_cast<std::size_t>(contact.more_addresses_size());
  if (more >= dht::kMaxAddressesPerContact) {
    return make_error(Errc::corrupt, "a contact lists " + std::to_string(more + 1) + " addresses, more than " +
                                         std::to_string(dht::kMaxAddressesPerContact));
  }
  for (const auto& address : contact.more_addresses()) {
    if (bad_address(address)) {
      return make_error(Errc::corrupt, "a contact's further address is empty or longer than " +
                                           std::to_string(dht::kMaxAddressSize) + " bytes");
    }
    out.more_addresses.push_back(address);
  }
  return out;
}

wire::Envelope dht_request_to_wire(const dht::Request& request) {
  wire::Envelope env;
  std::visit(
      [&](const auto& r) {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, dht::PingRequest>) {
          env.mutable_ping();
        } else if constexpr (std::is_same_v<T, dht::FindNodeRequest>) {
          env.mutable_find_node()->set_target(id_bytes(r.target));
        } else if constexpr (std::is_same_v<T, dht::FindValueRequest>) {
          env.mutable_find_value()->set_key(id_bytes(r.key));
        } else {
          record_to_wire(r.record, *env.mutable_store()->mutable_record());
        }
      },
      request);
  return env;
}

wire::Envelope dht_response_to_wire(const dht::Response& response) {
  wire::Envelope env;
  std::visit(
      [&](const auto& r) {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, dht::PingResponse>) {
          env.mutable_pong();
        } else if constexpr (std::is_same_v<T, dht::FindNodeResponse>) {
          auto* out = env.mutable_find_node_result();
          for (const auto& c : r.contacts) contact_to_wire(c, *out->add_contacts());
        } else if constexpr (std::is_same_v<T, dht::FindValueResponse>) {
          auto* out = env.mutable_find_value_result();
          for (const auto& rec : r.records) record_to_wire(rec, *out->add_records());
          for (const auto& c : r.contacts) contact_to_wire(c, *out->add_contacts());
        } else {
          env.mutable_store_result()->set_stored(r.stored);
        }
      },
      response);
  return env;
}

bool is_dht_request(const wire::Envelope& envelope) {
  switch (envelope.body_case()) {
    case wire::Envelope::kPing:
    case wire::Envelope::kFindNode:
    case wire::Envelope::kFindValue:
    case wire::Envelope::kStore: return true;
    default: return false;
  }
}

Result<dht::Request> dht_request_from_wire(const wire::Envelope& envelope) {
  switch (envelope.body_case()) {
    case wire::Envelope::kPing: return dht::Request{dht::PingRequest{}};
    case wire::Envelope::kFindNode: {
      DFS_ASSIGN_OR_RETURN(dht::NodeId target, id_from(envelope.find_node().target(), "FIND_NODE target"));
      return dht::Request{dht::FindNodeRequest{target}};
    }
    case wire::Envelope::kFindValue: {
      DFS_ASSIGN_OR_RETURN(dht::NodeId key, id_from(envelope.find_value().key(), "FIND_VALUE key"));
      return dht::Request{dht::FindValueRequest{key}};
    }
    case wire::Envelope::kStore: {
      DFS_ASSIGN_OR_RETURN(dht::Record record, record_from_wire(envelope.store().record()));
      return dht::Request{dht::StoreRequest{std::move(record)}};
    }
    default: return make_error(Errc::corrupt, "not a DHT request");
  }
}

Result<dht::Response> dht_response_from_wire(const wire::Envelope& envelope) {
  switch (envelope.body_case()) {
    case wire::Envelope::kPong: return dht::Response{dht::PingResponse{}};
    case wire::Envelope::kFindNodeResult: {
      DFS_ASSIGN_OR_RETURN(auto contacts, contacts_from_wire(envelope.find_node_result().contacts()));
      return dht::Response{dht::FindNodeResponse{std::move(contacts)}};
    }
    case wire::Envelope::kFindValueResult: {
      const auto& result = envelope.find_value_result();
      if (static_cast<std::size_t>(result.records_size()) > dht::kMaxRecordsPerKey) {
        return make_error(Errc::corrupt, "a FIND_VALUE reply carries too many records");
      }
      dht::FindValueResponse out;
      for (const auto& r : result.records()) {
        DFS_ASSIGN_OR_RETURN(dht::Record record, record_from_wire(r));
        out.records.push_back(std::move(record));
      }
      DFS_ASSIGN_OR_RETURN(out.contacts, contacts_from_wire(result.contacts()));
      return dht::Response{std::move(out)};
    }
    case wire::Envelope::kStoreResult: return dht::Response{dht::StoreResponse{envelope.store_result().stored()}};
    default: return make_error(Errc::corrupt, "not a DHT response");
  }
}

}  // namespace dfs::p2p
