// Directory trees on the command line: put -r, get of a directory ID or of
// ID/sub/path, ls ID, rm, and the listing of kept items. The walking,
// resolving and checking of trees is the peer's (node/tree_put.cpp,
// node/tree_get.cpp, store/version_reader.hpp); this file opens
// directories with the user's permissions, hands them over and prints.
#include "tree_commands.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <filesystem>

#include "cli_util.hpp"
#include "dfs/util/file.hpp"
#include "dfs/util/log.hpp"

namespace po = boost::program_options;

namespace dfs::cli {

const char* const kGetAbout =
    "A File ID writes the file to OUT (or stdout). A directory ID (dfs1d...)\n"
    "recreates its tree as the new directory OUT, with modes, times and\n"
    "symlinks. ID/PATH fetches one file or subtree out of a directory ID.";
const char* const kLsAbout =
    "Without an ID: what this peer keeps (kind, size, date, put or mount, name).\n"
    "With a directory ID (or ID/PATH): its entries, one per line.";

namespace {

// A name as one line: bytes that would break it (newlines, other controls,
// backslashes) are escaped as \n, \t, \\ or \xHH, as ls -b does.
std::string printable(std::string_view name) {
  std::string out;
  for (const char c : name) {
    const auto b = static_cast<unsigned char>(c);
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (b < 0x20 || b == 0x7f) {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", b);
      out += hex;
    } else {
      out += c;
    }
  }
  return out;
}

char type_letter(EntryType type) {
  switch (type) {
    case EntryType::file: return '-';
    case EntryType::directory: return 'd';
    case EntryType::symlink: return 'l';
    case EntryType::fifo: return 'p';
    case EntryType::socket: return 's';
    case EntryType::char_device: return 'c';
    case EntryType::block_device: return 'b';
  }
  return '?';
}

std::string mode_string(const DirEntry& e) {
  std::string s(1, type_letter(e.type));
  const char* rwx = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i) s += (e.mode & (0400u >> i)) ? rwx[i] : '-';
  return s;
}

void print_entry(const DirEntry& e, bool long_form) {
  std::string name = printable(e.name);
  if (e.type == EntryType::directory) name += "/";
  if (!long_form) {
    std::printf("%s\n", name.c_str());
    return;
  }
  if (e.type == EntryType::symlink) name += " -> " + printable(e.target);
  std::printf("%s  %10s  %s  %s\n", mode_string(e).c_str(), human_bytes(e.size).c_str(), local_time(e.mtime_seconds).c_str(),
              name.c_str());
}

// A new directory beside `out`, renamed to it once the tree is complete.
Status get_tree_to(node::Service& service, const FileId& id, const std::string& out) {
  struct stat st{};
  if (::lstat(out.c_str(), &st) == 0) {
    return make_error(Errc::already_exists, out + " exists: a tree is recreated as a new directory");
  }
  std::string dir = std::filesystem::path(out).parent_path().string();
  if (dir.empty()) dir = ".";
  std::string partial = dir + "/." + base_name(out) + ".dfs-partial-XXXXXX";
  if (::mkdtemp(partial.data()) == nullptr) return errno_error("cannot create a directory in " + dir);
  Status status;
  {
    auto fd = open_file(partial, O_RDONLY | O_DIRECTORY);
    if (!fd.ok()) return fd.take_error();
    Progress progress("get " + base_name(out), 0);
    status = service.get_tree(id, fd->get(), [&](std::uint64_t done, std::uint64_t) { progress.update(done); });
    // mkdtemp made it 0700; a new directory gets 0777 less the umask, as mkdir's would.
    const mode_t mask = ::umask(0);
    ::umask(mask);
    if (status.ok() && ::fchmod(fd->get(), 0777 & ~mask) != 0) status = errno_error("cannot set the mode of " + out);
  }
  if (status.ok() && ::rename(partial.c_str(), out.c_str()) != 0) status = errno_error("cannot rename to " + out);
  if (!status.ok()) {
    std::error_code ignored;
    if (std::filesystem::remove_all(partial, ignored) == static_cast<std::uintmax_t>(-1)) {
      log::note("the partial tree is left in " + partial);
    }
  }
  return status;
}

}  // namespace

Status put_tree(node::Service& service, const std::string& path, const node::PutOptions& options, bool named) {
  DFS_ASSIGN_OR_RETURN(UniqueFd dir, open_file(path, O_RDONLY | O_DIRECTORY));
  Progress progress("put " + base_name(path), 0);
  DFS_ASSIGN_OR_RETURN(node::PutOutcome outcome,
                       service.put_tree(dir.get(), base_name(path), options,
                                        [&](std::uint64_t done, std::uint64_t) { progress.update(done); }));
  progress.finish();
  print_put(outcome, path, named);
  return {};
}

std::optional<int> parse_id_path_operand(const po::variables_map& vm, const char* command, std::optional<FileId>& id,
                                         std::string& inner) {
  if (!vm.count("id")) {
    std::fprintf(stderr, "dfs: %s: no ID given (try 'dfs %s --help')\n", command, command);
    return kExitUsage;
  }
  const std::string& text = vm["id"].as<std::string>();
  const std::size_t slash = text.find('/');  // never in base32
  auto parsed = FileId::parse(std::string_view(text).substr(0, slash));
  if (!parsed.ok()) {
    print_error(command, parsed.error());
    return kExitUsage;
  }
  if (slash != std::string::npos && !parsed->is_directory()) {
    print_error(command, make_error(Errc::invalid_argument, "ID/PATH needs a directory ID (dfs1d...)"));
    return kExitUsage;
  }
  id = std::move(parsed).value();
  inner = slash == std::string::npos ? std::string() : text.substr(slash + 1);
  return std::nullopt;
}

Status get_target(node::Service& service, const FileId& id, const std::string& inner, const std::string& out) {
  FileId target = id;
  if (!inner.empty() && inner.find_first_not_of('/') != std::string::npos) {
    DFS_ASSIGN_OR_RETURN(DirEntry entry, service.lookup(id, inner));
    if (!entry.id) {
      return make_error(Errc::invalid_argument, inner + " is a " + (entry.type == EntryType::symlink ? "symlink to " + entry.target : std::string("special file")) +
                                                    ", not a file or a directory");
    }
    target = *entry.id;
  }
  if (!target.is_directory()) return get_to_path(service, target, out);
  if (out == "-") return make_error(Errc::invalid_argument, "a directory is recreated as a directory: give -o DIR");
  return get_tree_to(service, target, out);
}

Status list_tree(node::Service& service, const FileId& id, const std::string& inner, bool long_form) {
  FileId dir = id;
  if (!inner.empty() && inner.find_first_not_of('/') != std::string::npos) {
    DFS_ASSIGN_OR_RETURN(DirEntry entry, service.lookup(id, inner));
    if (entry.type != EntryType::directory) {
      print_entry(entry, long_form);
      return {};
    }
    dir = *entry.id;
  }
  if (!dir.is_directory()) return make_error(Errc::not_directory, "that is a file's ID; ls lists directory IDs");
  DFS_ASSIGN_OR_RETURN(Directory directory, service.list_directory(dir));
  for (const DirEntry& e : directory.entries) print_entry(e, long_form);
  return {};
}

Status list_kept(node::Service& service) {
  DFS_ASSIGN_OR_RETURN(std::vector<node::FileSummary> items, service.list());
  for (const auto& f : items) {
    std::printf("%s  %-4s  %10s  %s  %-5s  %s\n", f.file_id.c_str(), f.is_directory ? "dir" : "file",
                human_bytes(f.size).c_str(), local_time(f.added_at_unix).c_str(), f.from_mount ? "mount" : "put",
                printable(f.name).c_str());
  }
  return {};
}

int run_rm(const GlobalOptions& global, const Args& args) {
  po::options_description options("rm options");
  po::variables_map vm;
  if (auto done = parse_ids_command("rm ID...", options, args, vm,
                                    "Drops files and trees put on this peer: their chunks are no longer kept\n"
                                    "(GC deletes them; other peers' copies lapse with their leases).\n"
                                    "Versions of files on the mount go when the file is removed there.")) {
    return *done;
  }
  if (!vm.count("id")) {
    std::fprintf(stderr, "dfs: rm: no ID given (try 'dfs rm --help')\n");
    return kExitUsage;
  }
  std::vector<FileId> ids;
  for (const std::string& text : vm["id"].as<std::vector<std::string>>()) {
    auto id = FileId::parse(text);
    if (!id.ok()) {
      print_error("rm", id.error());
      return kExitUsage;
    }
    ids.push_back(std::move(id).value());
  }
  auto service = open_service(global, false);
  if (!service.ok()) {
    print_error("rm", service.error());
    return kExitFailure;
  }
  int exit_code = kExitOk;
  for (const FileId& id : ids) {
    if (Status removed = (*service)->remove(id); !removed.ok()) {
      print_error("rm " + id.to_string().substr(0, 16) + "...", removed.error());
      exit_code = kExitFailure;
    }
  }
  return exit_code;
}

}  // namespace dfs::cli
