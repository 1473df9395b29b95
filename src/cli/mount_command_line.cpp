#include "mount_command_line.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <boost/algorithm/string/split.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli_util.hpp"
#include "mount_table.hpp"
#include "dfs_config.h"

namespace po = boost::program_options;

namespace dfs::cli {

namespace {

constexpr const char* kUsage =
    "Usage: dfsmount [OPTIONS] [SOURCE] MOUNTPOINT\n"
    "\n"
    "Mounts the dfs filesystem of a data directory on MOUNTPOINT and runs its\n"
    "peer. Alone unless --listen or --bootstrap (or the config file) name a\n"
    "network. SOURCE, as mount(8) and fstab pass it, names the data directory\n"
    "when --data does not. Unmount with 'fusermount3 -u MOUNTPOINT'. See\n"
    "dfsmount(8).\n"
    "\n";

// The options of mount(8) and fstab that are not the filesystem's.
bool is_mount8_option(const std::string& item) {
  static const std::vector<std::string> names = {"_netdev", "nofail", "auto",  "noauto", "user",
                                                 "users",   "nouser", "owner", "group",  "defaults"};
  return std::find(names.begin(), names.end(), item) != names.end() || item.rfind("x-", 0) == 0 ||
         item.rfind("comment=", 0) == 0;
}

// Long options that make no sense as "-o NAME".
bool is_command_only(const std::string& name) {
  return name == "help" || name == "version" || name == "options" || name == "foreground" || name == "debug";
}

// Splits the -o lists: dfs's own become "--name=value" for the parser
// (fstab style "network_key" as well as "network-key").
void split_o_options(const std::vector<std::string>& lists, const po::options_description& visible,
                     MountCommandLine& out, std::vector<std::string>& own) {
  for (const auto& list : lists) {
    std::vector<std::string> items;
    boost::split(items, list, [](char c) { return c == ','; });
    for (const auto& item : items) {
      const auto eq = item.find('=');
      std::string name = item.substr(0, eq);
      std::replace(name.begin(), name.end(), '_', '-');
      if (item.empty() || is_mount8_option(item)) continue;
      if (item == "nonempty") {
        out.nonempty = true;
      } else if (name == "fsname" || name == "subtype") {
        continue;  // dfsmount names its mounts itself (mount_table.hpp)
      } else if (!is_command_only(name) && visible.find_nothrow(name, false) != nullptr) {
        own.push_back("--" + name + (eq == std::string::npos ? "" : item.substr(eq)));
      } else {
        out.fuse_options.push_back(item);
      }
    }
  }
}

// mount(8) runs helpers as "mount.TYPE SOURCE DIR [-sfnv] [-o OPTS] [-t TYPE]".
po::options_description helper_options() {
  po::options_description desc;
  desc.add_options()
      ("help,h", "show dfsmount's help and exit")
      ("version,V", "show the version and exit")
      ("fake,f", "do everything but mount")
      ("sloppy,s", "ignored")
      ("no-mtab,n", "ignored")
      ("verbose,v", "log progress notes")
      ("type,t", po::value<std::string>(), "ignored")
      ("options,o", po::value<std::vector<std::string>>()->composing(), "mount options");
  return desc;
}

bool is_mount_helper(const char* argv0) {
  return std::filesystem::path(argv0).filename().string().rfind("mount.", 0) == 0;
}

}  // namespace

po::options_description mount_tuning_description() {
  po::options_description desc("mount tuning (also read from DATA/dfs.conf)");
  desc.add_options()
      ("entry-timeout", po::value<double>()->value_name("SECONDS")->default_value(1.0),
       "how long the kernel may cache names")
      ("attr-timeout", po::value<double>()->value_name("SECONDS")->default_value(1.0),
       "how long the kernel may cache attributes")
      ("commit-interval", po::value<double>()->value_name("SECONDS")->default_value(1.0),
       "how long a closed file may wait to be durable against power loss (it survives a crash of "
       "dfsmount at once; fsync makes it durable at once); 0: every close syncs")
      ("snapshot-interval", po::value<double>()->value_name("SECONDS")->default_value(60.0),
       "with a network and a recovery key (dfs recovery-key): snapshot the namespace and publish it in the DHT "
       "this often while it changes, and at unmount (the files closed since the last one are what losing this "
       "machine loses); 0: no snapshots");
  return desc;
}

std::optional<int> parse_mount_command_line(int argc, char** argv, const po::options_description& visible,
                                            MountCommandLine& out) {
  const bool helper = is_mount_helper(argv[0]);
  po::options_description all;
  if (helper) {
    all.add(helper_options());
  } else {
    all.add(visible);
  }
  all.add_options()("operand", po::value<std::vector<std::string>>());
  po::positional_options_description positional;
  positional.add("operand", -1);
  po::variables_map& vm = out.vm;
  po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
  if (vm.count("version")) {
    std::printf("dfsmount %s\n", DFS_VERSION);
    return kExitOk;
  }
  if (vm.count("help")) {
    std::cout << kUsage << visible;
    return kExitOk;
  }
  out.fake = helper && vm.count("fake");
  std::vector<std::string> own;
  if (vm.count("options")) split_o_options(vm["options"].as<std::vector<std::string>>(), visible, out, own);
  // Always stored, so that the defaults of `visible` are in `vm` in both forms.
  po::store(po::command_line_parser(own).options(visible).run(), vm);

  const auto operands = vm.count("operand") ? vm["operand"].as<std::vector<std::string>>() : std::vector<std::string>{};
  if (operands.empty() || operands.size() > 2) {
    std::fprintf(stderr, "dfsmount: give a MOUNTPOINT, optionally after a SOURCE (try 'dfsmount --help')\n");
    return kExitUsage;
  }
  out.mountpoint = operands.back();
  std::optional<std::string> data;
  if (vm.count("data")) {
    data = vm["data"].as<std::string>();
  } else if (operands.size() == 2 && operands[0].find('/') != std::string::npos) {
    data = operands[0];
  }
  auto resolved = resolve_data_dir(data);
  if (!resolved.ok()) {
    print_error("dfsmount", resolved.error());
    return kExitUsage;
  }
  std::error_code ec;
  out.data_dir = std::filesystem::absolute(*resolved, ec).lexically_normal().string();
  while (out.data_dir.size() > 1 && out.data_dir.back() == '/') out.data_dir.pop_back();
  auto config = read_config_file(config_file_path(out.data_dir), visible);
  if (!config.ok()) {
    std::fprintf(stderr, "dfsmount: %s\n", config.error().message.c_str());
    return kExitUsage;
  }
  if (*config) po::store(**config, vm);
  po::notify(vm);
  return std::nullopt;
}

Result<std::string> check_mountpoint(const MountCommandLine& line) {
  std::error_code ec;
  std::string path = std::filesystem::canonical(line.mountpoint, ec).string();
  if (ec) path = std::filesystem::absolute(line.mountpoint, ec).lexically_normal().string();
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    // A FUSE mount whose process died (kill -9) stays in the mount table
    // and answers ENOTCONN: say so, and how to clear it.
    if (errno == ENOTCONN) {
      return make_error(Errc::unavailable, path + " is a stale mount (its dfsmount is gone); clear it with "
                                                  "'fusermount3 -u " + path + "' and mount again");
    }
    return make_error(Errc::invalid_argument, path + ": " + std::strerror(errno));
  }
  if (!S_ISDIR(st.st_mode)) return make_error(Errc::invalid_argument, path + " is not a directory");
  if (auto inside = dfs_mount_holding(path)) {
    const std::string where = inside->mountpoint == path ? "is already a dfs mount" : "is inside the dfs mount " + inside->mountpoint;
    return make_error(Errc::already_exists, path + " " + where + " (unmount it first, or choose another place)");
  }
  if (!line.nonempty && !std::filesystem::is_empty(path, ec)) {
    return make_error(Errc::already_exists,
                      path + " is not empty: its files would be hidden by the mount (add -o nonempty to mount anyway)");
  }
  return path;
}

}  // namespace dfs::cli
