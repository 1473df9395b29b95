// Fuzzes the pack decoder (store/chunk_pack.hpp): the input is written as
// a pack file and opened as a store would after a crash. Whatever the
// bytes, open must cut the pack at its first record that is not whole, and
// every chunk it then lists must read back from within the file, be
// removable, and stay removed after reopening.
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "dfs/store/chunk_pack.hpp"
#include "fuzz_common.hpp"

namespace {
using namespace dfs;

const std::string& scratch() {
  static const std::string dir = [] {
    std::string pattern = (std::filesystem::temp_directory_path() / "dfs-fuzz-pack-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    return pattern;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string dir = scratch() + "/packs";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/00000001.pack";
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));

  auto pack = store::ChunkPack::open(dir, /*durable=*/false);
  FUZZ_CHECK(pack.ok());
  const auto cut = std::filesystem::file_size(path);
  FUZZ_CHECK(cut <= size);
  const std::vector<ChunkId> ids = (*pack)->list();
  std::uint64_t bytes = 0;
  for (const ChunkId& id : ids) {
    Bytes out;
    auto got = (*pack)->read(id, [&](std::size_t n) {
      out.resize(n);
      return out.data();
    });
    FUZZ_CHECK(got.ok() && *got == out.size());
    const auto place = (*pack)->place(id);
    FUZZ_CHECK(place && place->offset + place->size <= cut);
    FUZZ_CHECK(std::equal(out.begin(), out.end(), data + place->offset));
    bytes += out.size();
  }
  FUZZ_CHECK((*pack)->totals().bytes == bytes);
  if (!ids.empty()) {
    FUZZ_CHECK((*pack)->remove(ids.front()).ok());
    pack->reset();
    auto reopened = store::ChunkPack::open(dir, false);
    FUZZ_CHECK(reopened.ok() && !(*reopened)->contains(ids.front()));
    FUZZ_CHECK((*reopened)->list().size() == ids.size() - 1);
  }
  return 0;
}
