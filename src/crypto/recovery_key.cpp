#include "dfs/crypto/recovery_key.hpp"

#include <algorithm>
#include <cctype>

#include "dfs/util/encoding.hpp"

namespace dfs::crypto {

namespace {

constexpr std::size_t kChecksumSize = 4;
constexpr std::size_t kGroup = 5;

std::array<std::uint8_t, kChecksumSize> checksum(const SecretKey& secret) {
  static constexpr std::string_view kDomain = "dfs recovery key checksum";
  Bytes input(kDomain.begin(), kDomain.end());
  input.insert(input.end(), secret.bytes().begin(), secret.bytes().end());
  const Digest digest = sha256(input);
  std::fill(input.begin(), input.end(), std::uint8_t{0});
  std::array<std::uint8_t, kChecksumSize> out{};
  std::copy_n(digest.begin(), kChecksumSize, out.begin());
  return out;
}

}  // namespace

RecoveryKey RecoveryKey::generate() { return RecoveryKey(SecretKey::generate()); }

std::string RecoveryKey::to_text() const {
  Bytes raw(secret_.bytes().begin(), secret_.bytes().end());
  const auto sum = checksum(secret_);
  raw.insert(raw.end(), sum.begin(), sum.end());
  const std::string body = to_base32(raw);
  std::fill(raw.begin(), raw.end(), std::uint8_t{0});
  std::string out(kRecoveryKeyPrefix);
  for (std::size_t i = 0; i < body.size(); i += kGroup) {
    out += '-';
    out += body.substr(i, kGroup);
  }
  return out;
}

std::string RecoveryKey::to_file_text() const {
  return "# dfs recovery key. Whoever holds it can read every file of this namespace: keep it secret.\n"
         "# Printable form (case, spaces and dashes do not matter):\n" +
         to_text() + "\n";
}

Result<RecoveryKey> RecoveryKey::parse(std::string_view text) {
  std::string compact;
  for (char c : text) {
    if (c == '-' || std::isspace(static_cast<unsigned char>(c))) continue;
    compact += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (compact.size() > 256) return make_error(Errc::invalid_argument, "a recovery key is far shorter than this");
  }
  if (!compact.starts_with(kRecoveryKeyPrefix)) {
    return make_error(Errc::invalid_argument, "not a recovery key: it starts with \"dfsr1-\"");
  }
  auto raw = from_base32(std::string_view(compact).substr(kRecoveryKeyPrefix.size()));
  if (!raw.ok() || raw->size() != kKeySize + kChecksumSize) {
    return make_error(Errc::invalid_argument, "not a recovery key: wrong length or a character outside base32");
  }
  std::array<std::uint8_t, kKeySize> bytes{};
  std::copy_n(raw->begin(), kKeySize, bytes.begin());
  RecoveryKey key(SecretKey::from_bytes(bytes));
  std::fill(bytes.begin(), bytes.end(), std::uint8_t{0});
  const auto sum = checksum(key.secret_);
  const bool matches = std::equal(sum.begin(), sum.end(), raw->begin() + kKeySize);
  std::fill(raw->begin(), raw->end(), std::uint8_t{0});
  if (!matches) return make_error(Errc::corrupt, "the recovery key's checksum does not match: a character is mistyped");
  return key;
}

Result<RecoveryKey> RecoveryKey::parse_file(std::string_view contents) {
  std::string body;
  while (!contents.empty()) {
    const auto end = contents.find('\n');
    const std::string_view line = contents.substr(0, end);
    if (!line.starts_with('#')) body.append(line);
    if (end == std::string_view::npos) break;
    contents.remove_prefix(end + 1);
  }
  return parse(body);
}

SigningKey RecoveryKey::signing_key() const {
  return SigningKey::from_seed(derive_key(secret_, "dfs recovery v1: pointer signing"));
}

SecretKey RecoveryKey::pointer_key() const { return derive_key(secret_, "dfs recovery v1: pointer sealing"); }

// Its own label: holders see this public key, and it must tell them
// nothing about the pointer's (which names the pointer record in the DHT).
SigningKey RecoveryKey::lease_key() const {
  return SigningKey::from_seed(derive_key(secret_, "dfs recovery v1: lease renewal"));
}

}  // namespace dfs::crypto
