#include "commands.hpp"

#include <boost/program_options.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>

#include "cli_util.hpp"
#include "health_output.hpp"
#include "tree_commands.hpp"
#include "json_output.hpp"
#include "dfs/util/file.hpp"
#include "dfs/control/control.hpp"
#include "dfs/control/control_channel.hpp"
#include "dfs/node/node.hpp"
#include "dfs/util/log.hpp"

namespace po = boost::program_options;

namespace dfs::cli {

std::optional<int> parse_command(const char* usage, const po::options_description& options,
                                 const po::options_description& operands,
                                 const po::positional_options_description& positional, const Args& args,
                                 po::variables_map& vm, const char* about) {
  po::options_description visible = options;
  visible.add_options()("help,h", "show this help and exit");
  po::options_description all = visible;
  all.add(operands);
  try {
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "dfs: %s (try 'dfs %s --help')\n", e.what(), usage);
    return kExitUsage;
  }
  if (vm.count("help")) {
    std::cout << "Usage: dfs " << usage << "\n\n";
    if (about != nullptr) std::cout << about << "\n\n";
    std::cout << visible;
    return kExitOk;
  }
  return std::nullopt;
}

std::optional<int> parse_ids_command(const char* usage, const po::options_description& options, const Args& args,
                                     po::variables_map& vm, const char* about) {
  po::options_description operands;
  operands.add_options()("id", po::value<std::vector<std::string>>());
  po::positional_options_description positional;
  positional.add("id", -1);
  return parse_command(usage, options, operands, positional, args, vm, about);
}

std::optional<int> parse_file_id_operand(const po::variables_map& vm, const char* command,
                                         std::optional<FileId>& id) {
  if (!vm.count("id")) {
    std::fprintf(stderr, "dfs: %s: no File ID given (try 'dfs %s --help')\n", command, command);
    return kExitUsage;
  }
  auto parsed = FileId::parse(vm["id"].as<std::string>());
  if (!parsed.ok()) {
    print_error(command, parsed.error());
    return kExitUsage;
  }
  id = std::move(parsed).value();
  return std::nullopt;
}

// The running peer of the data directory if there is one (through its
// control socket), else the data directory itself as a lone peer. `note`
// says so on stderr for commands whose result depends on it.
Result<std::unique_ptr<node::Service>> open_service(const GlobalOptions& global, bool note) {
  if (global.data_must_exist) DFS_TRY(require_data_dir(global.node.data_dir));
  auto client = control::ControlClient::connect(control::control_socket_path(global.node.data_dir));
  if (client.ok() && *client) return std::unique_ptr<node::Service>(std::move(**client));
  await_data_dir_release(global.node.data_dir, kReleaseWait);
  auto local = node::Node::open(global.node);
  if (!local.ok()) {
    Error e = local.take_error();
    e.message = "cannot open the data directory " + global.node.data_dir + ": " + e.message;
    return e;
  }
  if (note) {
    log::note("no peer is running on " + global.node.data_dir + "; working on it alone (start one with 'dfs node')");
  }
  return std::unique_ptr<node::Service>(std::move(*local));
}

std::string base_name(const std::string& path) {
  if (path == "-") return "stdin";
  // "dir/" names dir, as it does for cp and tar.
  std::filesystem::path p(path);
  if (!p.has_filename() && p.has_parent_path()) p = p.parent_path();
  const std::string name = p.filename().string();
  return name.empty() || name == "." || name == ".." ? std::filesystem::absolute(p).lexically_normal().filename().string()
                                                    : name;
}

void print_put(const node::PutOutcome& outcome, const std::string& path, bool named) {
  if (named) {
    std::printf("%s  %s\n", outcome.id.to_string().c_str(), path.c_str());
  } else {
    std::printf("%s\n", outcome.id.to_string().c_str());
  }
  std::fflush(stdout);
  if (outcome.replicas_min < outcome.replicas_wanted) {
    log::note(path + ": only " + std::to_string(outcome.replicas_min) + " of " +
              std::to_string(outcome.replicas_wanted) +
              " replicas could be placed for some chunks (too few peers); repair will add the rest");
  }
}

namespace {

// Size of a regular file for the progress line, 0 if unknown (a pipe).
std::uint64_t input_size(int fd) {
  struct stat st{};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) return static_cast<std::uint64_t>(st.st_size);
  return 0;
}

// Prints the ID alone, or "ID  PATH" when `named` (several files were
// given), so that the lines match the arguments as sha256sum's do.
Status put_one(node::Service& service, const std::string& path, const node::PutOptions& options, bool named,
               bool recursive) {
  UniqueFd owned;
  int fd = STDIN_FILENO;
  if (path != "-") {
    DFS_ASSIGN_OR_RETURN(owned, open_file(path, O_RDONLY));
    fd = owned.get();
    struct stat st{};
    if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
      if (recursive) return put_tree(service, path, options, named);
      return make_error(Errc::invalid_argument, path + " is a directory (put -r stores a tree)");
    }
  }
  Progress progress("put " + base_name(path), input_size(fd));
  DFS_ASSIGN_OR_RETURN(node::PutOutcome outcome,
                       service.put(fd, base_name(path), options, [&](std::uint64_t done, std::uint64_t) {
                         progress.update(done);
                       }));
  progress.finish();  // the ID starts on a clean line on a terminal
  print_put(outcome, path, named);
  return {};
}

// File `id`, or the file `inner` names below directory `id`, to `fd`.
Status get_into(node::Service& service, const FileId& id, const std::string& inner, int fd,
                const node::ProgressFn& progress) {
  return inner.empty() ? service.get(id, fd, progress) : service.get_path(id, inner, fd, progress);
}

}  // namespace

// Writes to a temporary file beside `out` and renames it into place only
// once every chunk was verified, so a failed get never leaves a partial file
// under the name the user asked for.
Status get_to_file(node::Service& service, const FileId& id, const std::string& inner, const std::string& out) {
  std::string dir = std::filesystem::path(out).parent_path().string();
  if (dir.empty()) dir = ".";
  std::string tmp_template = dir + "/." + base_name(out) + ".dfs-partial-XXXXXX";
  int raw_fd = ::mkstemp(tmp_template.data());
  if (raw_fd < 0) return errno_error("cannot create a file in " + dir);
  UniqueFd fd(raw_fd);
  const std::string& tmp = tmp_template;
  Progress progress("get " + base_name(out), 0);
  Status status = get_into(service, id, inner, fd.get(), [&](std::uint64_t done, std::uint64_t total) {
    progress.update(done, total);
  });
  if (status.ok()) status = fsync_fd(fd.get(), tmp);
  // mkstemp made it 0600; a new file gets 0666 less the umask, as cp's would.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  if (status.ok() && ::fchmod(fd.get(), 0666 & ~mask) != 0) status = errno_error("cannot set the mode of " + tmp);
  if (status.ok() && ::rename(tmp.c_str(), out.c_str()) != 0) status = errno_error("cannot rename to " + out);
  if (!status.ok()) ::unlink(tmp.c_str());
  return status;
}

// A device or pipe (-o /dev/null, -o /dev/stdout, a FIFO) is written as it
// is: only a regular file can be replaced by a rename.
Status get_to_path(node::Service& service, const FileId& id, const std::string& inner, const std::string& out) {
  if (out == "-") return get_into(service, id, inner, STDOUT_FILENO, {});
  struct stat st{};
  if (::stat(out.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    if (S_ISDIR(st.st_mode)) return make_error(Errc::invalid_argument, out + " is a directory");
    DFS_ASSIGN_OR_RETURN(UniqueFd fd, open_file(out, O_WRONLY));
    return get_into(service, id, inner, fd.get(), {});
  }
  return get_to_file(service, id, inner, out);
}

namespace {

// Issue 15: how long the owner's chunks outlive this machine if it stops.
void print_lease_horizon(const node::ServiceStatus& s) {
  if (s.leases_expire_from == 0) {
    std::printf("leases:          %u days; not all renewed yet (the first repair sweep runs)\n", s.lease_days);
    return;
  }
  std::printf("leases:          %u days; if this peer stopped now, its chunks would start to expire %s\n",
              s.lease_days, local_time(s.leases_expire_from).c_str());
}

// Issue 15: when the namespace was last snapshotted under the recovery key.
void print_snapshot(const node::ServiceStatus& s) {
  if (s.last_snapshot.taken_at == 0) {
    std::printf("last snapshot:   none (see dfs recovery-key and dfsmount --snapshot-interval)\n");
    return;
  }
  std::printf("last snapshot:   %s, %llu files, %s (pointer sequence %llu)\n", local_time(s.last_snapshot.taken_at).c_str(),
              static_cast<unsigned long long>(s.last_snapshot.files), human_bytes(s.last_snapshot.bytes).c_str(),
              static_cast<unsigned long long>(s.snapshot_sequence));
}

// Peer lines dfs status prints at most (dfs peers lists them all).
constexpr std::size_t kStatusPeerLines = 16;

void print_status(const node::ServiceStatus& s, const std::vector<node::PeerSummary>& peers) {
  const auto count = [](std::uint64_t n) { return static_cast<unsigned long long>(n); };
  std::printf("%s\n", health_verdict(s).c_str());
  std::printf("data directory:  %s\n", s.data_dir.c_str());
  if (s.networked) {
    std::printf("node ID:         %s\n", s.node_id.c_str());
    std::printf("listening on:    %s\n", s.listen_address.c_str());
    std::printf("network:         %u peers known, %u replicas per chunk\n", s.peers, s.replicas);
    print_peers(peers, kStatusPeerLines, "  ");
    if (!s.reachable.empty()) std::printf("reachable:       %s\n", s.reachable.c_str());
  } else {
    std::printf("network:         none (lone peer: every chunk is stored here only)\n");
  }
  std::printf("files:           %llu\n", count(s.files));
  std::printf("chunks stored:   %llu (%s)\n", count(s.usage.chunks), human_bytes(s.usage.bytes).c_str());
  if (s.cache.chunks > 0) {
    std::printf("chunks cached:   %llu (%s, held by other peers too)\n", count(s.cache.chunks),
                human_bytes(s.cache.bytes).c_str());
  }
  std::printf("chunks in use:   %llu\n", count(s.referenced_chunks));
  print_health(s);
  if (s.networked) {
    print_lease_horizon(s);
    print_snapshot(s);
  }
  if (s.usage.quota_bytes == 0) {
    std::printf("quota:           none\n");
  } else {
    std::printf("quota:           %s of %s used (%llu%%)\n", human_bytes(s.usage.bytes).c_str(),
                human_bytes(s.usage.quota_bytes).c_str(), count(s.usage.bytes * 100 / s.usage.quota_bytes));
  }
  if (!s.limits.empty()) std::printf("limits on other peers:\n");
  for (const auto& line : s.limits) std::printf("  %s\n", line.c_str());
}

}  // namespace

int run_put(const GlobalOptions& global, const Args& args) {
  po::options_description options("put options");
  options.add_options()("chunk-size", po::value<std::string>()->value_name("SIZE"),
                        "chunk size for these files (default 1M; 4K to 16M)")(
      "recursive,r", "store each directory given as one tree, printing its directory ID");
  po::options_description operands;
  operands.add_options()("file", po::value<std::vector<std::string>>());
  po::positional_options_description positional;
  positional.add("file", -1);
  po::variables_map vm;
  if (auto done = parse_command("put [-r] [--chunk-size SIZE] FILE|DIR...", options, operands, positional, args, vm)) {
    return *done;
  }
  if (!vm.count("file")) {
    std::fprintf(stderr, "dfs: put: no file given (try 'dfs put --help')\n");
    return kExitUsage;
  }
  node::PutOptions put_options;
  if (vm.count("chunk-size")) {
    auto size = parse_size(vm["chunk-size"].as<std::string>());
    if (!size.ok() || *size < kMinChunkSize || *size > kMaxChunkSize) {
      std::fprintf(stderr, "dfs: put: --chunk-size must be between 4K and 16M\n");
      return kExitUsage;
    }
    put_options.chunk_size = static_cast<std::uint32_t>(*size);
  }
  auto service = open_service(global, true);
  if (!service.ok()) {
    print_error("put", service.error());
    return kExitFailure;
  }
  int exit_code = kExitOk;
  const auto& files = vm["file"].as<std::vector<std::string>>();
  for (const std::string& path : files) {
    Status status = put_one(**service, path, put_options, files.size() > 1, vm.count("recursive") > 0);
    if (!status.ok()) {
      print_error("put " + path, status.error());
      exit_code = kExitFailure;
    }
  }
  return exit_code;
}

int run_get(const GlobalOptions& global, const Args& args) {
  po::options_description options("get options");
  options.add_options()("output,o", po::value<std::string>()->value_name("OUT"),
                        "write to OUT instead of stdout (\"-\" is stdout)");
  po::options_description operands;
  operands.add_options()("id", po::value<std::string>());
  po::positional_options_description positional;
  positional.add("id", 1);
  po::variables_map vm;
  if (auto done = parse_command("get ID[/PATH] [-o OUT|-]", options, operands, positional, args, vm, kGetAbout)) {
    return *done;
  }
  std::optional<FileId> id;
  std::string inner;
  if (auto done = parse_id_path_operand(vm, "get", id, inner)) return *done;
  const std::string out = vm.count("output") ? vm["output"].as<std::string>() : "-";
  if (out == "-" && ::isatty(STDOUT_FILENO) == 1 && !vm.count("output") && !id->is_directory()) {
    std::fprintf(stderr, "dfs: get: refusing to write file contents to a terminal; use -o FILE or -o -\n");
    return kExitUsage;
  }
  auto service = open_service(global, true);
  if (!service.ok()) {
    print_error("get", service.error());
    return kExitFailure;
  }
  Status status = get_target(**service, *id, inner, out);
  if (!status.ok()) {
    print_error("get", status.error());
    return kExitFailure;
  }
  return kExitOk;
}

int run_ls(const GlobalOptions& global, const Args& args) {
  po::options_description options("ls options");
  options.add_options()("long,l", "with a directory ID: each entry's type, mode, size and time");
  po::options_description operands;
  operands.add_options()("id", po::value<std::string>());
  po::positional_options_description positional;
  positional.add("id", 1);
  po::variables_map vm;
  if (auto done = parse_command("ls [-l] [ID[/PATH]]", options, operands, positional, args, vm, kLsAbout)) return *done;
  std::optional<FileId> id;
  std::string inner;
  if (vm.count("id")) {
    if (auto done = parse_id_path_operand(vm, "ls", id, inner)) return *done;
  }
  auto service = open_service(global, false);
  if (!service.ok()) {
    print_error("ls", service.error());
    return kExitFailure;
  }
  Status listed = id ? list_tree(**service, *id, inner, vm.count("long") > 0) : list_kept(**service);
  if (!listed.ok()) {
    print_error("ls", listed.error());
    return kExitFailure;
  }
  return kExitOk;
}

int run_status(const GlobalOptions& global, const Args& args) {
  po::options_description options("status options");
  options.add_options()("json", "print one JSON object instead of the text");
  po::variables_map vm;
  if (auto done = parse_command("status [--json]", options, {}, {}, args, vm)) return *done;
  auto service = open_service(global, false);
  if (!service.ok()) {
    print_error("status", service.error());
    return kExitFailure;
  }
  auto status = (*service)->status();
  if (!status.ok()) {
    print_error("status", status.error());
    return kExitFailure;
  }
  std::vector<node::PeerSummary> peers;
  if (status->networked) {
    auto known = (*service)->peers();
    if (!known.ok()) {
      print_error("status", known.error());
      return kExitFailure;
    }
    peers = std::move(known).value();
  }
  if (vm.count("json")) {
    std::printf("%s\n", status_json(*status, peers).c_str());
  } else {
    print_status(*status, peers);
  }
  return kExitOk;
}

int run_peers(const GlobalOptions& global, const Args& args) {
  po::options_description options("peers options");
  options.add_options()("json",
                        "print one JSON array of {node_id, address, last_seen_seconds, failures} instead of the text");
  po::variables_map vm;
  if (auto done = parse_command("peers [--json]", options, {}, {}, args, vm)) return *done;
  if (Status exists = require_data_dir(global.node.data_dir); !exists.ok()) {
    print_error("peers", exists.error());
    return kExitFailure;
  }
  // Only a running peer knows peers: a data directory alone has none to list.
  auto client = running_peer(global.node.data_dir);
  if (!client.ok()) {
    print_error("peers", client.error());
    return kExitFailure;
  }
  auto peers = (*client)->peers();
  if (!peers.ok()) {
    print_error("peers", peers.error());
    return kExitFailure;
  }
  if (vm.count("json")) {
    std::printf("%s\n", peers_json(*peers).c_str());
    return kExitOk;
  }
  print_peers(*peers, peers->size(), "");
  return kExitOk;
}

}  // namespace dfs::cli
