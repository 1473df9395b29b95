// Fuzzes the mountinfo parser (src/cli/mount_table.cpp) with which
// `dfs open` and `dfs id` find the dfs mount holding a path and dfsmount
// refuses to mount inside one. Input: the path on the first line, the
// mountinfo text after it.
//
// Properties: no out-of-bounds reads (the octal unescaping reads ahead);
// a mount found holds the path (it is the path or an ancestor) and names
// its data directory only as an absolute path.
#include "../../src/cli/mount_table.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = dfs::fuzz::as_text(data, size);
  const auto newline = input.find('\n');
  const std::string path(input.substr(0, newline));
  const std::string mountinfo(newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1));
  auto mount = dfs::cli::dfs_mount_holding(path, mountinfo);
  if (!mount) return 0;
  const std::string& at = mount->mountpoint;
  FUZZ_CHECK(at == "/" || (path.compare(0, at.size(), at) == 0 && (path.size() == at.size() || path[at.size()] == '/')));
  FUZZ_CHECK(mount->data_dir.empty() || mount->data_dir[0] == '/');
  return 0;
}
