// Errors as values at module boundaries (STYLE.md habit 3).
//
// Every fallible call across a layer returns Result<T> (or Status, which is
// Result<void>): either a value or an Error carrying a machine-readable code
// and a one-line human message that says what went wrong and why. Codes map
// to process exit statuses in the CLI and to errno at the FUSE edge.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace dfs {

enum class Errc {
  invalid_argument,  // caller passed something malformed (bad ID, bad option)
  not_found,         // no such chunk / manifest / file
  already_exists,
  truncated,         // encoded input ended early
  too_large,         // encoded input or request above a hard limit
  bad_version,       // unknown format version
  corrupt,           // failed a hash or authentication check
  io_error,          // the OS said no (read/write/fsync/rename failed)
  no_space,          // quota or disk full
  permission_denied,
  unavailable,       // a needed peer or service cannot be reached
  timed_out,
  busy,              // a peer is over a rate or load limit: try another or later
  // Filesystem conditions (fs/), mapped to their errno at the FUSE edge.
  not_empty,         // ENOTEMPTY: a directory still has entries
  is_directory,      // EISDIR
  not_directory,     // ENOTDIR
  name_too_long,     // ENAMETOOLONG
  read_only,         // EROFS: e.g. a file shared by another peer
  not_supported,     // EOPNOTSUPP / ENOTSUP
  cross_device,      // EXDEV
  too_many_links,    // EMLINK / ELOOP
  internal,          // a bug: an invariant did not hold
};

// Short stable name of a code, e.g. "corrupt".
const char* errc_name(Errc code);

struct Error {
  Errc code;
  std::string message;

  // "corrupt: chunk 3f2a… does not match its ID"
  std::string to_string() const;
};

// Error from the current errno, "what: strerror(errno)", with a code
// derived from errno (ENOSPC/EDQUOT -> no_space, ENOENT -> not_found, ...).
Error errno_error(const std::string& what);
Error errno_error(const std::string& what, int err);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}      // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { assert(!ok()); return std::get<1>(v_); }
  Error&& take_error() { assert(!ok()); return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const { assert(failed_); return error_; }
  Error&& take_error() { assert(failed_); return std::move(error_); }

 private:
  Error error_{Errc::internal, {}};
  bool failed_ = false;
};

using Status = Result<void>;

inline Error make_error(Errc code, std::string message) {
  return Error{code, std::move(message)};
}

}  // namespace dfs

// Propagate an error from an expression returning Result<...> / Status.
#define DFS_TRY(expr)                                   \
  do {                                                  \
    auto dfs_try_result_ = (expr);                      \
    if (!dfs_try_result_.ok()) return dfs_try_result_.take_error(); \
  } while (0)

#define DFS_CONCAT_INNER_(a, b) a##b
#define DFS_CONCAT_(a, b) DFS_CONCAT_INNER_(a, b)

// DFS_ASSIGN_OR_RETURN(auto x, compute()); binds the value or returns the error.
#define DFS_ASSIGN_OR_RETURN(lhs, expr) \
  DFS_ASSIGN_OR_RETURN_IMPL_(DFS_CONCAT_(dfs_result_, __LINE__), lhs, expr)
#define DFS_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.take_error();          \
  lhs = std::move(tmp).value()
