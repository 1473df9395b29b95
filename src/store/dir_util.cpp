#include "dir_util.hpp"

#include <dirent.h>
#include <fcntl.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace dfs::store {
namespace {

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};

}  // namespace

Status for_each_entry(const std::string& dir, const std::function<Status(const std::string&, const struct stat&)>& fn) {
  std::unique_ptr<DIR, DirCloser> d(::opendir(dir.c_str()));
  if (!d) return errno_error("cannot open directory " + dir);
  const int fd = ::dirfd(d.get());
  for (;;) {
    errno = 0;
    const dirent* entry = ::readdir(d.get());
    if (entry == nullptr) {
      if (errno != 0) return errno_error("cannot read directory " + dir);
      return {};
    }
    if (std::strcmp(entry->d_name, ".") == 0 || std::strcmp(entry->d_name, "..") == 0) continue;
    struct stat st{};
    if (::fstatat(fd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;  // removed since readdir saw it
      return errno_error("cannot stat " + dir + "/" + entry->d_name);
    }
    DFS_TRY(fn(entry->d_name, st));
  }
}

Status make_dir(const std::string& path, bool* created) {
  if (created != nullptr) *created = false;
  if (::mkdir(path.c_str(), 0700) == 0) {
    if (created != nullptr) *created = true;
    return {};
  }
  if (errno != EEXIST) return errno_error("cannot create directory " + path);
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return errno_error("cannot stat " + path);
  if (!S_ISDIR(st.st_mode)) return make_error(Errc::invalid_argument, path + " exists and is not a directory");
  return {};
}

}  // namespace dfs::store
