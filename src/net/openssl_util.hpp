// RAII owners for the OpenSSL objects dfs::net uses, and errors from
// OpenSSL's error queue. Internal to src/net.
#pragma once

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "dfs/util/result.hpp"

namespace dfs::net::ossl {

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const { Free(p); }
};

using PKey = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using PKeyCtx = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO_free_all>>;

// "what: <OpenSSL's reason>", draining the thread's error queue so that a
// stale entry never shows up in a later, unrelated message.
inline Error openssl_error(Errc code, const std::string& what) {
  std::string reason;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    reason = buf;  // the last entry is the most specific
  }
  return make_error(code, reason.empty() ? what : what + ": " + reason);
}

}  // namespace dfs::net::ossl
