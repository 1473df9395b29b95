// Tests that damage or remove a chunk where a store keeps it on disk: a
// file of its own, or a record in a pack (store/chunk_pack.hpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "dfs/store/disk_chunk_store.hpp"

namespace dfs::testing {

// Flips the bits of the byte `at` bytes into the chunk's sealed bytes.
// False if the byte could not be rewritten.
inline bool flip_chunk_byte(const store::DiskChunkStore::OnDisk& where, std::uint64_t at) {
  std::fstream file(where.path, std::ios::in | std::ios::out | std::ios::binary);
  const auto offset = static_cast<std::streamoff>(where.offset + at);
  char byte = 0;
  if (!file.seekg(offset) || !file.read(&byte, 1)) return false;
  byte = static_cast<char>(~byte);
  return static_cast<bool>(file.seekp(offset) && file.write(&byte, 1));
}

// Every chunk under the store directory `dir` (store/ or cache/ of a data
// directory), found on disk while its peer may be running.
inline std::vector<std::pair<ChunkId, store::DiskChunkStore::OnDisk>> chunks_on_disk(const std::string& dir) {
  if (!std::filesystem::exists(dir)) return {};
  auto found = store::DiskChunkStore::list_on_disk(dir);
  return found.ok() ? std::move(found).value() : std::vector<std::pair<ChunkId, store::DiskChunkStore::OnDisk>>{};
}

// Every chunk a peer serves: its own (DATA/store/) and those it holds for
// other peers (DATA/held/, where chunks they put land).
inline std::vector<std::pair<ChunkId, store::DiskChunkStore::OnDisk>> served_chunks_on_disk(const std::string& data) {
  auto all = chunks_on_disk(data + "/store");
  for (auto& held : chunks_on_disk(data + "/held")) all.push_back(std::move(held));
  return all;
}

}  // namespace dfs::testing
