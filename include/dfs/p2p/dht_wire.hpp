// Converts DHT messages (dht/messages.hpp) to and from the wire schema
// (net/wire.proto). The decoders take envelopes from other peers: each
// field is checked (32-byte IDs, address length, list and value bounds)
// and a malformed message is an Errc::corrupt naming the field.
#pragma once

#include "dfs/dht/messages.hpp"
#include "wire.pb.h"

namespace dfs::p2p {

wire::Envelope dht_request_to_wire(const dht::Request& request);
wire::Envelope dht_response_to_wire(const dht::Response& response);

// Whether the envelope's body is a DHT request (PING, FIND_NODE, ...).
bool is_dht_request(const wire::Envelope& envelope);

Result<dht::Request> dht_request_from_wire(const wire::Envelope& envelope);
Result<dht::Response> dht_response_from_wire(const wire::Envelope& envelope);
Result<dht::Contact> contact_from_wire(const wire::Contact& contact);
void contact_to_wire(const dht::Contact& contact, wire::Contact& out);

}  // namespace dfs::p2p
