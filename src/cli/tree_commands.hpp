// What dfs put, get, ls and rm do with directory trees and kept items
// (tree_commands.cpp), and the pieces of commands.cpp they share.
#pragma once

#include <boost/program_options.hpp>
#include <memory>
#include <optional>
#include <string>

#include "commands.hpp"

namespace dfs::cli {

// --- commands.cpp ---
// open_service: commands.hpp.
// The name an item is put under: the path's last component ("dir/" names dir).
std::string base_name(const std::string& path);
// "ID" or "ID  PATH" on stdout, and a note if replicas are missing.
void print_put(const node::PutOutcome& outcome, const std::string& path, bool named);
// Writes file `id` to `out` ("-": stdout) with no partial file left behind.
Status get_to_path(node::Service& service, const FileId& id, const std::string& out);

// --- tree_commands.cpp ---
extern const char* const kGetAbout;
extern const char* const kLsAbout;

// dfs put -r of one directory.
Status put_tree(node::Service& service, const std::string& path, const node::PutOptions& options, bool named);
// Parses "ID" or "ID/sub/path" (the "id" operand): the ID, and the path
// inside it (empty for the ID itself). kExitUsage on a malformed ID.
std::optional<int> parse_id_path_operand(const boost::program_options::variables_map& vm, const char* command,
                                         std::optional<FileId>& id, std::string& inner);
// dfs get of ID[/PATH]: a file to `out` (or stdout), a tree to the new
// directory `out`.
Status get_target(node::Service& service, const FileId& id, const std::string& inner, const std::string& out);
// dfs ls ID[/PATH]: a directory's entries (or one entry).
Status list_tree(node::Service& service, const FileId& id, const std::string& inner, bool long_form);
// dfs ls: what this peer keeps.
Status list_kept(node::Service& service);

}  // namespace dfs::cli
