// RecoveryKey: the one secret that brings a namespace back on a new machine
// (issue 15). 32 random bytes, from which independent keys are derived:
//
//   signing_key()  Ed25519 pair: signs the namespace's pointer record in the
//                  DHT; its public half names the record (dht/signed_record.hpp)
//   pointer_key()  AES-256-GCM key the pointer's contents are sealed with, so
//                  peers storing the record learn only its size
//   lease_key()    Ed25519 pair: its public half goes with every chunk the
//                  namespace's node places, and a lease renewal it signs
//                  counts as the placer's from any node ID
//                  (replicate/keyed_renewal.hpp), so a machine recovered
//                  with this key renews the leases the lost one took
//
// The pointer names the root directory snapshot by its ID (manifest ID and
// key); each directory manifest holds its children's IDs, keys included
// (chunk/directory.hpp), so the recovery key opens the whole tree through
// the pointer, and nothing without it does.
//
// Printable form, for paper: "dfsr1-" then base32 of the secret and a
// 4-byte checksum, in dash-separated groups of five. Parsing ignores case,
// spaces, dashes and line breaks, and the checksum catches a mistyped
// character. The file form is the printable form after '#' comment lines.
#pragma once

#include <string>
#include <string_view>

#include "dfs/crypto/crypto.hpp"
#include "dfs/crypto/signing.hpp"
#include "dfs/util/result.hpp"

namespace dfs::crypto {

inline constexpr std::string_view kRecoveryKeyPrefix = "dfsr1";

class RecoveryKey {
 public:
  static RecoveryKey generate();
  static RecoveryKey from_secret(const SecretKey& secret) { return RecoveryKey(secret); }
  // The printable form (see above). Errc::invalid_argument for a wrong
  // prefix, characters or length; Errc::corrupt for a checksum mismatch.
  static Result<RecoveryKey> parse(std::string_view text);
  // The file form: '#' lines and blank lines skipped, the rest parsed.
  static Result<RecoveryKey> parse_file(std::string_view contents);

  std::string to_text() const;       // "dfsr1-xxxxx-xxxxx-…"
  std::string to_file_text() const;  // comment lines, then to_text()

  const SecretKey& secret() const { return secret_; }
  SigningKey signing_key() const;
  SecretKey pointer_key() const;
  SigningKey lease_key() const;

 private:
  explicit RecoveryKey(const SecretKey& secret) : secret_(secret) {}
  SecretKey secret_;
};

}  // namespace dfs::crypto
