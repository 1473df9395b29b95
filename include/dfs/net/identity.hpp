// A peer's long-term identity (DESIGN.md §4): an Ed25519 key pair kept in a
// PEM file, a self-signed X.509 certificate made from it for TLS, and the
// node ID, SHA-256 of the key's DER SubjectPublicKeyInfo.
//
// The certificate carries the key and nothing else of value: nobody checks
// its issuer or dates. Trust comes from the node ID: a TLS peer proves it
// holds the private key of the certificate it shows, and the other side
// checks that the certificate's key hashes to the node ID it expected.
// The certificate is made afresh on every load; only the key is stored, so
// the same file always gives the same ID.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "dfs/util/bytes.hpp"

// OpenSSL's types, forward-declared so that this header does not pull in
// OpenSSL (they are `typedef struct evp_pkey_st EVP_PKEY` and so on).
struct evp_pkey_st;
struct x509_st;

namespace dfs::net {

inline constexpr std::size_t kNodeIdSize = 32;
// The raw 256-bit node ID; the DHT's NodeId wraps the same bytes.
using NodeIdBytes = std::array<std::uint8_t, kNodeIdSize>;

// "1a2b3c4d…": the first 4 bytes in hex, for log lines.
std::string short_id(const NodeIdBytes& id);

// Node ID of a DER SubjectPublicKeyInfo (the same function the handshake
// uses on a peer's certificate).
NodeIdBytes node_id_of_spki(ByteView der_spki);

class Identity {
 public:
  // Loads the PEM private key at `path`, or creates it (mode 0600, written
  // to a temporary file, fsynced and linked into place so that a crash or a
  // concurrent start never leaves a half-written or a second key). Fails if
  // the file holds something other than an Ed25519 private key. Warns if
  // the file is readable by group or others.
  static Result<Identity> load_or_create(const std::string& path);

  // A fresh key pair that lives in memory only (tests, throw-away peers).
  static Result<Identity> generate();

  const NodeIdBytes& node_id() const;

  // The DER SubjectPublicKeyInfo the node ID is the hash of.
  ByteView public_key_der() const;

  // For the TLS layer; owned by this Identity (copies share them).
  evp_pkey_st* native_key() const;
  x509_st* native_certificate() const;

 private:
  struct State;
  explicit Identity(std::shared_ptr<const State> state) : state_(std::move(state)) {}
  static Result<Identity> from_key(evp_pkey_st* key);  // takes ownership

  // Immutable once built, so copies may be used from any thread.
  std::shared_ptr<const State> state_;
};

}  // namespace dfs::net
