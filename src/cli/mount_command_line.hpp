// dfsmount's command line, in the three forms it is run in:
//   dfsmount [OPTIONS] MOUNTPOINT
//   dfsmount [OPTIONS] SOURCE MOUNTPOINT           mount.fuse3, fstab type "fuse.dfsmount"
//   mount.dfs SOURCE MOUNTPOINT [-sfnv] [-o OPTS]  mount(8)'s helper, fstab type "dfs"
// SOURCE names the data directory (a path) unless --data or -o data= does;
// "dfs" (or any word without a '/') stands for the default one. dfs's own
// -o options are the long options ("-o replicas=2,network_key=/etc/k");
// mount(8)'s own (_netdev, nofail, noauto, x-*...) are dropped; the rest go
// to libfuse.
#pragma once

#include <boost/program_options.hpp>
#include <optional>
#include <string>
#include <vector>

#include "dfs/util/result.hpp"

namespace dfs::cli {

struct MountCommandLine {
  boost::program_options::variables_map vm;  // long options, -o NAME=VALUE, then DATA/dfs.conf
  std::vector<std::string> fuse_options;     // for libfuse
  std::string data_dir;                      // resolved, absolute
  std::string mountpoint;                    // as given
  bool nonempty = false;                     // -o nonempty: mounting over files is intended
  bool fake = false;                         // mount.dfs -f: check everything, mount nothing
};

// --entry-timeout, --attr-timeout, --commit-interval: dfsmount's own
// settings that dfs.conf may also hold.
boost::program_options::options_description mount_tuning_description();

// Parses argv (for the program named by argv[0]). Returns the exit status
// to end with when dfsmount should not go on (--help, --version, a usage
// error, said on stderr), else nullopt with `out` filled.
std::optional<int> parse_mount_command_line(int argc, char** argv,
                                            const boost::program_options::options_description& visible,
                                            MountCommandLine& out);

// The mount point made absolute with symlinks resolved (as `dfs open`
// resolves the paths it sends, so that they compare). Refuses what is not
// a directory (Errc::invalid_argument: a usage error), a directory that
// holds files unless -o nonempty (they would be hidden), and a place on or
// inside a dfs mount (Errc::already_exists).
Result<std::string> check_mountpoint(const MountCommandLine& line);

}  // namespace dfs::cli
