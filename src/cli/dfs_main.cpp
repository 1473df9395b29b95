// dfs: the command-line tool. Global options come first or anywhere; the
// first positional argument names the subcommand, which parses the rest.
#include <boost/program_options.hpp>

#include <cstdio>
#include <iostream>
#include <map>

#include "cli_util.hpp"
#include "commands.hpp"
#include "gc_command.hpp"
#include "health_commands.hpp"
#include "dfs/util/log.hpp"
#include "dfs_config.h"

namespace po = boost::program_options;

namespace {

constexpr const char* kUsage =
    "Usage: dfs [OPTIONS] COMMAND [ARGS]\n"
    "\n"
    "dfs stores files as encrypted chunks and names each file by an ID that\n"
    "is also the key to read it. See dfs(1).\n"
    "\n"
    "Commands:\n"
    "  put [-r] FILE|DIR...   store files (\"-\" reads stdin); print one File ID per file;\n"
    "                         with -r, one directory ID per directory tree\n"
    "  get ID[/PATH] [-o OUT|-]\n"
    "                         write the file named by ID to OUT (default: stdout), or\n"
    "                         recreate the tree a directory ID names as the new directory OUT\n"
    "  ls [-l] [ID[/PATH]]    list what this peer keeps, or the entries of a directory ID\n"
    "  rm ID...               drop files and trees put on this peer (GC takes their chunks)\n"
    "  status [--json]        show this peer's storage usage and health\n"
    "  peers [--json]         list the peers the running peer knows (ID and address)\n"
    "  id PATH...             print the File ID of files on a dfs mount\n"
    "  open ID [PATH]         place the file named by ID on this data directory's mount\n"
    "                         (default PATH: ./ID on the mount, else MOUNTPOINT/ID)\n"
    "  node [--listen HOST:PORT] [--bootstrap HOST:PORT]...\n"
    "                         run a headless storage peer on the data directory\n"
    "  where [--chunks] ID... which peers hold each chunk of the files or trees (--json)\n"
    "  check [--repair] ID... whether every chunk of the files or trees has R live copies (--json)\n"
    "  gc [--dry-run]         delete chunks no file references and no lease holds\n"
    "  keygen FILE            write a new network key (for --network-key) to FILE, mode 0600\n"
    "  recovery-key [--export FILE]\n"
    "                         make (once) and show the key that recovers this namespace\n"
    "  snapshot               snapshot the running mount's namespace now and publish it\n"
    "  recover KEYFILE --bootstrap HOST:PORT [--list] [--at WHEN]\n"
    "                         list the namespace snapshots a recovery key names in the network\n"
    "\n";

po::options_description global_options() {
  po::options_description desc("Options");
  desc.add_options()
      ("help,h", "show this help and exit")
      ("version,V", "show the version and exit")
      ("data", po::value<std::string>()->value_name("DIR"),
       "data directory (default: $XDG_DATA_HOME/dfs or ~/.local/share/dfs)")
      ("quota", po::value<std::string>()->value_name("SIZE"),
       "refuse to store more than SIZE of chunks (e.g. 50G; default: no limit)")
      ("verbose,v", "also log warnings and progress notes")
      ("quiet,q", "log nothing but the final error line");
  return desc;
}

using Command = int (*)(const dfs::cli::GlobalOptions&, const dfs::cli::Args&);

const std::map<std::string, Command>& commands() {
  static const std::map<std::string, Command> table = {
      {"put", dfs::cli::run_put},
      {"get", dfs::cli::run_get},
      {"ls", dfs::cli::run_ls},
      {"status", dfs::cli::run_status},
      {"peers", dfs::cli::run_peers},
      {"node", dfs::cli::run_node},
      {"id", dfs::cli::run_id},
      {"open", dfs::cli::run_open},
      {"gc", dfs::cli::run_gc},
      {"where", dfs::cli::run_where},
      {"check", dfs::cli::run_check},
      {"keygen", dfs::cli::run_keygen},
      {"recovery-key", dfs::cli::run_recovery_key},
      {"rm", dfs::cli::run_rm},
      {"snapshot", dfs::cli::run_snapshot},
      {"recover", dfs::cli::run_recover},
  };
  return table;
}

int run(int argc, char** argv) {
  using namespace dfs::cli;
  po::options_description visible = global_options();
  po::options_description all = visible;
  all.add_options()("command", po::value<std::string>())("args", po::value<std::vector<std::string>>());
  po::positional_options_description positional;
  positional.add("command", 1).add("args", -1);

  po::variables_map vm;
  po::parsed_options parsed = po::command_line_parser(argc, argv)
                                  .options(all)
                                  .positional(positional)
                                  .allow_unregistered()
                                  .style(po::command_line_style::default_style & ~po::command_line_style::allow_guessing)
                                  .run();
  po::store(parsed, vm);
  po::notify(vm);

  if (vm.count("version")) {
    std::printf("dfs %s\n", DFS_VERSION);
    return kExitOk;
  }
  if (vm.count("help") && vm.count("command") && commands().count(vm["command"].as<std::string>())) {
    GlobalOptions none;
    return commands().at(vm["command"].as<std::string>())(none, {"--help"});
  }
  if (vm.count("help") || !vm.count("command")) {
    std::cout << kUsage << visible << "\nRun 'dfs COMMAND --help' for a command's options.\n";
    return vm.count("help") ? kExitOk : kExitUsage;
  }
  // A one-shot command reports its outcome in its own error line; the
  // warnings behind it (a chunk quarantined...) are shown with -v.
  dfs::log::set_level(vm.count("verbose") ? dfs::log::Level::info : dfs::log::Level::error);
  if (vm.count("quiet")) dfs::log::set_level(dfs::log::Level::off);

  const std::string command = vm["command"].as<std::string>();
  auto it = commands().find(command);
  if (it == commands().end()) {
    std::fprintf(stderr, "dfs: unknown command '%s' (try 'dfs --help')\n", command.c_str());
    return kExitUsage;
  }

  GlobalOptions global;
  auto data = resolve_data_dir(vm.count("data") ? std::optional(vm["data"].as<std::string>()) : std::nullopt);
  if (!data.ok()) {
    print_error(command, data.error());
    return kExitUsage;
  }
  global.node.data_dir = *data;
  global.config_file = config_file_path(*data);
  // put and node create the data directory; the others read what is there
  // (id and open find the mount from the path and need none).
  global.data_must_exist = command != "put" && command != "node" && command != "recovery-key" &&
                           command != "recover";
  // Settings from the data directory's config file; the command line wins.
  auto config = read_config_file(global.config_file, visible);
  if (!config.ok()) {
    std::fprintf(stderr, "dfs: %s\n", config.error().message.c_str());
    return kExitUsage;
  }
  if (*config) po::store(**config, vm);
  if (vm.count("quota")) {
    auto quota = parse_size(vm["quota"].as<std::string>());
    if (!quota.ok()) {
      print_error("--quota", quota.error());
      return kExitUsage;
    }
    global.node.quota_bytes = *quota;
  }
  // Everything after the command name that the global parser did not take.
  Args rest = po::collect_unrecognized(parsed.options, po::include_positional);
  rest.erase(rest.begin());
  return it->second(global, rest);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const po::error& e) {
    std::fprintf(stderr, "dfs: %s (try 'dfs --help')\n", e.what());
    return dfs::cli::kExitUsage;
  }
}
