// dfs id and dfs open: the two ends of sharing a file on a mount. `id`
// reads the File ID of a file (the user.dfs.id attribute, so it needs no
// running peer, only the mount); `open` asks the data directory's dfsmount
// to place a file named by an ID on its mount (control.proto).
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "cli_util.hpp"
#include "commands.hpp"
#include "mount_table.hpp"
#include "dfs/control/control.hpp"
#include "dfs/control/control_channel.hpp"

namespace po = boost::program_options;

namespace dfs::cli {

namespace {

constexpr const char* kIdAbout =
    "Prints the ID of each file or directory on a dfsmount mount (a file's\n"
    "last closed content; a directory's whole tree as of its files' last\n"
    "closes, one dfs1d... ID; the user.dfs.id attribute). One PATH: the ID\n"
    "alone; several: one \"ID  PATH\" line each. See dfs(1).";

constexpr const char* kOpenAbout =
    "Places the file named by ID, shared from any peer, at PATH on a dfs\n"
    "mount, owned by you. The mount is the one PATH (or, without PATH, the\n"
    "working directory) is on; else that of the dfsmount running on the data\n"
    "directory (--data). PATH must not exist. Without PATH: ./ID if the\n"
    "working directory is on the mount, else MOUNTPOINT/ID. Prints where the\n"
    "file was placed. Your edits make a new version with a new ID; the\n"
    "sharer's ID keeps reading the original. See dfs(1).";

constexpr const char* kIdAttribute = "user.dfs.id";

// The ID of the file or directory at `path`, as its mount reports it.
Result<std::string> file_id_of(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return errno_error(path);
  char value[256];
  const ssize_t n = ::getxattr(path.c_str(), kIdAttribute, value, sizeof value);
  if (n < 0) {
    // Any other filesystem has no such attribute (or no user attributes).
    if (errno == ENODATA || errno == ENOTSUP) return make_error(Errc::not_supported, path + " is not on a dfs mount");
    return errno_error("cannot read the ID of " + path);
  }
  return std::string(value, static_cast<std::size_t>(n));
}

Result<std::string> real_path(const std::string& path) {
  char resolved[PATH_MAX];
  if (::realpath(path.c_str(), resolved) == nullptr) return errno_error("cannot resolve " + path);
  return std::string(resolved);
}

// PATH made absolute with its directory's symlinks resolved, as dfsmount
// expects it; the file itself need not (and should not) exist.
Result<std::string> placement_path(const std::string& path) {
  const std::filesystem::path p(path);
  const std::string name = p.filename().string();
  if (name.empty() || name == "." || name == "..") {
    return make_error(Errc::invalid_argument, path + " does not end in a file name");
  }
  const std::string dir = p.has_parent_path() ? p.parent_path().string() : ".";
  auto real_dir = real_path(dir);
  if (!real_dir.ok()) return real_dir.take_error();
  if (*real_dir == "/") return "/" + name;
  return *real_dir + "/" + name;
}

std::uint32_t current_umask() {
  const mode_t mask = ::umask(0);
  ::umask(mask);
  return mask;
}

// The data directory's dfsmount; an error saying so when none runs there.
Result<std::unique_ptr<control::ControlClient>> connect_to_mount(const std::string& data_dir) {
  DFS_ASSIGN_OR_RETURN(auto client, control::ControlClient::connect(control::control_socket_path(data_dir)));
  if (!client) {
    return make_error(Errc::unavailable, "no dfsmount is running on " + data_dir +
                                             " (start one with 'dfsmount --data " + data_dir +
                                             " MOUNTPOINT', or name its data directory with --data)");
  }
  return std::move(*client);
}

// The data directory of the dfs mount the file goes to (PATH's, else the
// working directory's), found as `dfs id` finds it: from the path. Else
// --data's, whose dfsmount picks MOUNTPOINT/ID.
std::string mount_data_dir(const control::OpenSharedRequest& request, const std::string& fallback) {
  const std::string& where = request.path.empty() ? request.cwd : request.path;
  if (where.empty()) return fallback;
  auto mount = dfs_mount_holding(where);
  return mount && !mount->data_dir.empty() ? mount->data_dir : fallback;
}

}  // namespace

int run_id(const GlobalOptions&, const Args& args) {
  po::options_description options("id options");
  po::options_description operands;
  operands.add_options()("path", po::value<std::vector<std::string>>());
  po::positional_options_description positional;
  positional.add("path", -1);
  po::variables_map vm;
  if (auto done = parse_command("id PATH...", options, operands, positional, args, vm, kIdAbout)) return *done;
  if (!vm.count("path")) {
    std::fprintf(stderr, "dfs: id: no file given (try 'dfs id --help')\n");
    return kExitUsage;
  }
  const auto& paths = vm["path"].as<std::vector<std::string>>();
  int exit_code = kExitOk;
  for (const std::string& path : paths) {
    auto id = file_id_of(path);
    if (!id.ok()) {
      print_error("id", id.error());
      exit_code = kExitFailure;
    } else if (paths.size() == 1) {
      std::printf("%s\n", id->c_str());
    } else {
      std::printf("%s  %s\n", id->c_str(), path.c_str());  // which ID is whose, as sha256sum does
    }
  }
  return exit_code;
}

int run_open(const GlobalOptions& global, const Args& args) {
  po::options_description options("open options");
  po::options_description operands;
  operands.add_options()("id", po::value<std::string>())("path", po::value<std::string>());
  po::positional_options_description positional;
  positional.add("id", 1).add("path", 1);
  po::variables_map vm;
  if (auto done = parse_command("open ID [PATH]", options, operands, positional, args, vm, kOpenAbout)) return *done;
  std::optional<FileId> id;
  if (auto done = parse_file_id_operand(vm, "open", id)) return *done;
  control::OpenSharedRequest request(std::move(*id));
  if (vm.count("path")) {
    auto path = placement_path(vm["path"].as<std::string>());
    if (!path.ok()) {
      print_error("open", path.error());
      return path.error().code == Errc::invalid_argument ? kExitUsage : kExitFailure;
    }
    request.path = std::move(*path);
  } else {
    // dfsmount picks ./<ID> if this directory is on its mount.
    auto cwd = real_path(".");
    if (cwd.ok()) request.cwd = std::move(*cwd);
  }
  request.umask = current_umask();
  auto client = connect_to_mount(mount_data_dir(request, global.node.data_dir));
  if (!client.ok()) {
    print_error("open", client.error());
    return kExitFailure;
  }
  auto placed = (*client)->open_shared(request);
  if (!placed.ok()) {
    print_error("open", placed.error());
    return kExitFailure;
  }
  std::printf("%s\n", placed->c_str());
  return kExitOk;
}

}  // namespace dfs::cli
