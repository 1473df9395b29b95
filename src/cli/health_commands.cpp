#include "health_commands.hpp"

#include <cstdio>
#include <map>

#include "cli_util.hpp"
#include "json_output.hpp"

namespace po = boost::program_options;

namespace dfs::cli {

namespace {

using node::FileLocation;
using replicate::ChunkLocation;

struct Checked {
  std::string id;  // as given
  bool tree = false;
  FileLocation location;
};

// Parses every ID operand first (a malformed one is a usage error, before
// any peer is asked), then locates each file through the running peer.
std::optional<int> locate_all(const GlobalOptions& global, const po::variables_map& vm, const char* command,
                              bool repair, std::vector<Checked>& out) {
  if (!vm.count("id")) {
    std::fprintf(stderr, "dfs: %s: no ID given (try 'dfs %s --help')\n", command, command);
    return kExitUsage;
  }
  std::vector<std::pair<std::string, FileId>> ids;
  for (const auto& text : vm["id"].as<std::vector<std::string>>()) {
    auto id = FileId::parse(text);
    if (!id.ok()) {
      print_error(command, id.error());
      return kExitUsage;
    }
    ids.emplace_back(text, std::move(id).value());
  }
  auto service = open_service(global, /*note=*/true);
  if (!service.ok()) {
    print_error(command, service.error());
    return kExitFailure;
  }
  for (const auto& [text, id] : ids) {
    auto location = (*service)->locate(id, repair);
    if (!location.ok()) {
      print_error(command, location.error());
      return kExitFailure;
    }
    out.push_back({text, id.is_directory(), std::move(location).value()});
  }
  return std::nullopt;
}

// parse_ids_command, then locate_all (repairing if --repair was given).
std::optional<int> parse_and_locate(const GlobalOptions& global, const Args& args, const char* command,
                                    const char* usage, const char* about, const po::options_description& options,
                                    po::variables_map& vm, std::vector<Checked>& files) {
  if (auto done = parse_ids_command(usage, options, args, vm, about)) return done;
  return locate_all(global, vm, command, vm.count("repair") != 0, files);
}

std::string peer_json(const dht::Contact& c) {
  return "{\"node_id\":" + json_string(c.id.hex()) + ",\"address\":" + json_string(c.address) + "}";
}

std::string contacts_json(const std::vector<dht::Contact>& peers) {
  std::string out = "[";
  for (std::size_t i = 0; i < peers.size(); ++i) out += (i ? "," : "") + peer_json(peers[i]);
  return out + "]";
}

std::string file_json(const Checked& c, bool per_chunk) {
  const FileLocation& l = c.location;
  std::string out = "{\"id\":" + json_string(c.id) + ",\"files\":" + std::to_string(l.files) +
                    ",\"replicas\":" + std::to_string(l.replicas) +
                    ",\"chunks\":" + std::to_string(l.chunks.size()) +
                    ",\"short_chunks\":" + std::to_string(l.short_chunks()) +
                    ",\"chunks_placed_again\":" + std::to_string(l.chunks_placed_again);
  if (per_chunk) {
    out += ",\"locations\":[";
    for (std::size_t i = 0; i < l.chunks.size(); ++i) {
      const ChunkLocation& ch = l.chunks[i];
      out += std::string(i ? "," : "") + "{\"chunk_id\":" + json_string(ch.id.hex()) +
             ",\"copies\":" + std::to_string(ch.copies()) + ",\"this_peer\":" + (ch.self_holds ? "true" : "false") +
             ",\"holders\":" + contacts_json(ch.holders) + ",\"lacking\":" + contacts_json(ch.lacking) +
             ",\"unreachable\":" + contacts_json(ch.unreachable) + "}";
    }
    out += "]";
  }
  return out + "}";
}

void print_json(const std::vector<Checked>& files, bool per_chunk) {
  std::string out = "[";
  for (std::size_t i = 0; i < files.size(); ++i) out += (i ? "," : "") + file_json(files[i], per_chunk);
  std::printf("%s]\n", out.c_str());
}

std::string short_id(const std::string& id) { return id.size() > 16 ? id.substr(0, 12) + "…" : id; }

// Chunk lines `where --chunks` prints per ID at most: a tree's may be a million.
constexpr std::size_t kMaxChunkLines = 1000;

// "a tree of 12 files, 40 chunks" for a tree; "40 chunks" for a file.
std::string sizes(const Checked& c) {
  const std::string chunks = std::to_string(c.location.chunks.size()) + " chunks";
  if (!c.tree) return chunks;
  return "a tree of " + std::to_string(c.location.files) + " files, " + chunks;
}

// One line per peer that holds, lacks or did not answer for some chunk.
void print_where(const Checked& c, bool verbose) {
  const FileLocation& l = c.location;
  std::printf("%s: %s, %zu with fewer than %u copies\n", c.id.c_str(), sizes(c).c_str(), l.short_chunks(),
              l.replicas);
  struct Tally {
    std::string address;
    std::size_t holds = 0, lacks = 0, silent = 0;
  };
  std::map<std::string, Tally> peers;  // by node ID
  std::size_t here = 0;
  for (const ChunkLocation& ch : l.chunks) {
    here += ch.self_holds;
    for (const auto& p : ch.holders) peers[p.id.hex()].holds++, peers[p.id.hex()].address = p.address;
    for (const auto& p : ch.lacking) peers[p.id.hex()].lacks++, peers[p.id.hex()].address = p.address;
    for (const auto& p : ch.unreachable) peers[p.id.hex()].silent++, peers[p.id.hex()].address = p.address;
  }
  if (here > 0) std::printf("  this peer holds %zu\n", here);
  for (const auto& [node, t] : peers) {
    std::printf("  %s %-21s holds %zu", node.substr(0, 16).c_str(), t.address.c_str(), t.holds);
    if (t.lacks) std::printf(", lacks %zu", t.lacks);
    if (t.silent) std::printf(", did not answer for %zu", t.silent);
    std::printf("\n");
  }
  if (!verbose) return;
  for (std::size_t i = 0; i < l.chunks.size(); ++i) {
    if (i == kMaxChunkLines) {
      std::printf("  ... and %zu more chunks (--json lists them all)\n", l.chunks.size() - i);
      break;
    }
    const ChunkLocation& ch = l.chunks[i];
    std::printf("  chunk %s: %zu copies:", ch.id.short_hex().c_str(), ch.copies());
    if (ch.self_holds) std::printf(" this peer");
    for (const auto& p : ch.holders) std::printf(" %s", p.address.c_str());
    for (const auto& p : ch.lacking) std::printf(" (%s lacks it)", p.address.c_str());
    for (const auto& p : ch.unreachable) std::printf(" (%s did not answer)", p.address.c_str());
    std::printf("\n");
  }
}

}  // namespace

int run_where(const GlobalOptions& global, const Args& args) {
  po::options_description options("where options");
  // Not -v: that is the global --verbose, taken wherever it stands.
  options.add_options()("chunks", "list every chunk with the peers that hold it")(
      "json", "one JSON array, an object per ID (with --chunks, its chunks too)");
  po::variables_map vm;
  std::vector<Checked> files;
  if (auto done = parse_and_locate(global, args, "where", "where [--chunks] [--json] ID...",
                                   "Asks the R closest live peers of each chunk of the files or trees (directory\n"
                                   "IDs) whether they hold it (as IPFS's findprovs), and sums the answers up\n"
                                   "per peer; --chunks lists the chunks too (at most 1000 lines per ID).",
                                   options, vm, files)) {
    return *done;
  }
  if (vm.count("json")) {
    print_json(files, vm.count("chunks") != 0);
  } else {
    for (const auto& f : files) print_where(f, vm.count("chunks") != 0);
  }
  return kExitOk;
}

int run_check(const GlobalOptions& global, const Args& args) {
  po::options_description options("check options");
  options.add_options()("repair", "place the chunks short of R copies again, then check again")(
      "json", "one JSON array, an object per ID");
  po::variables_map vm;
  std::vector<Checked> files;
  if (auto done = parse_and_locate(global, args, "check", "check [--repair] [--json] ID...",
                                   "Checks that every chunk of the files or trees (directory IDs: every file\n"
                                   "and snapshot in them) is held by its R closest live peers; exits 1 if some\n"
                                   "chunk has fewer copies (after the repair, with --repair).",
                                   options, vm, files)) {
    return *done;
  }
  bool all_whole = true;
  for (const auto& f : files) all_whole = all_whole && f.location.short_chunks() == 0;
  if (vm.count("json")) {
    print_json(files, false);
    return all_whole ? kExitOk : kExitFailure;
  }
  for (const auto& f : files) {
    const FileLocation& l = f.location;
    const std::string repaired =
        l.chunks_placed_again ? " (" + std::to_string(l.chunks_placed_again) + " chunks placed again)" : "";
    const std::string of_tree = f.tree ? " (" + std::to_string(l.files) + " files)" : "";
    if (l.short_chunks() == 0) {
      std::printf("%s: ok: all %zu chunks%s have %u copies%s\n", short_id(f.id).c_str(), l.chunks.size(),
                  of_tree.c_str(), l.replicas, repaired.c_str());
    } else {
      std::printf("%s: short: %zu of %zu chunks%s have fewer than %u copies%s\n", short_id(f.id).c_str(),
                  l.short_chunks(), l.chunks.size(), of_tree.c_str(), l.replicas, repaired.c_str());
    }
  }
  return all_whole ? kExitOk : kExitFailure;
}

}  // namespace dfs::cli
