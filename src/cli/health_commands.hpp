// dfs where and dfs check (health_commands.cpp): where each chunk of a file
// is, and whether every one has R live copies, repaired on demand.
#pragma once

#include "commands.hpp"

namespace dfs::cli {

int run_where(const GlobalOptions& global, const Args& args);
int run_check(const GlobalOptions& global, const Args& args);

}  // namespace dfs::cli
