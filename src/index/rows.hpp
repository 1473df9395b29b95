// Conversions between C++ values and SQLite columns, shared by the Index
// sources. SQLite integers are int64; dfs sizes are unsigned. Values that do
// not fit are refused on the way in (invalid_argument) and reported as
// corruption on the way out, never silently wrapped.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "dfs/chunk/chunk_id.hpp"
#include "dfs/index/sqlite.hpp"

namespace dfs::index::rows {

// A statement prepared with `args` bound to its parameters 1, 2, ...
template <typename... Args>
Result<Statement> prepare_bound(Database& db, std::string_view sql, const Args&... args) {
  DFS_ASSIGN_OR_RETURN(Statement stmt, db.prepare(sql));
  if constexpr (sizeof...(Args) > 0) DFS_TRY(stmt.bind_all(args...));
  return stmt;
}

// Runs a statement that returns no rows (INSERT, UPDATE, DELETE).
template <typename... Args>
Status execute(Database& db, std::string_view sql, const Args&... args) {
  DFS_ASSIGN_OR_RETURN(Statement stmt, prepare_bound(db, sql, args...));
  return stmt.run();
}

// The first column of the single row `sql` returns, as an integer.
template <typename... Args>
Result<std::optional<std::int64_t>> query_int(Database& db, std::string_view sql, const Args&... args) {
  DFS_ASSIGN_OR_RETURN(Statement stmt, prepare_bound(db, sql, args...));
  DFS_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(stmt.column_int64(0));
}

inline Result<std::int64_t> to_sql(std::uint64_t value, const char* what) {
  if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return make_error(Errc::invalid_argument, std::string(what) + " " + std::to_string(value) + " is too large");
  }
  return static_cast<std::int64_t>(value);
}

// A non-negative integer column that must fit in T.
template <typename T>
Result<T> read_uint(const Statement& stmt, int column, const char* what) {
  std::int64_t value = stmt.column_int64(column);
  if (value < 0 || static_cast<std::uint64_t>(value) > std::numeric_limits<T>::max()) {
    return make_error(Errc::corrupt, std::string("index holds an impossible ") + what + ": " + std::to_string(value));
  }
  return static_cast<T>(value);
}

template <std::size_t N>
Result<std::array<std::uint8_t, N>> read_array(const Statement& stmt, int column, const char* what) {
  ByteView blob = stmt.column_blob(column);
  if (blob.size() != N) {
    return make_error(Errc::corrupt, std::string("index holds a ") + what + " of " + std::to_string(blob.size()) +
                                         " bytes, expected " + std::to_string(N));
  }
  std::array<std::uint8_t, N> out{};
  std::copy(blob.begin(), blob.end(), out.begin());
  return out;
}

inline Result<ChunkId> read_id(const Statement& stmt, int column, const char* what) {
  DFS_ASSIGN_OR_RETURN(auto bytes, read_array<crypto::kDigestSize>(stmt, column, what));
  return ChunkId{bytes};
}

// Records that `manifest` references each of `chunks` (existing pairs are
// kept): the rows GC reads. Defined in index.cpp.
Status insert_chunk_refs(Database& db, const ChunkId& manifest, const std::vector<ChunkId>& chunks);

}  // namespace dfs::index::rows
