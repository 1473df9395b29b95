// Fuzzes RecoveryKey::parse_file: the recovery key file is given on the
// command line (dfsmount --recover FILE) and may be anything.
//
// Properties: no crash; an accepted key prints to a text that parses back
// to the same secret.
#include "dfs/crypto/recovery_key.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dfs;
  auto key = crypto::RecoveryKey::parse_file(fuzz::as_text(data, size));
  if (!key.ok()) {
    FUZZ_CHECK(!key.error().message.empty());
    return 0;
  }
  auto again = crypto::RecoveryKey::parse(key->to_text());
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->secret() == key->secret());
  return 0;
}
