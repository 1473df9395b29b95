// Fuzzes DATA/dfs.conf as dfs, dfs node and dfsmount read it
// (src/cli/config_file.cpp): the key check with line numbers, then
// Boost.Program_options' parser and the store of the values into a map.
//
// Properties: no out-of-bounds reads; every failure is an error value or a
// po::error (which the programs catch and report as a usage error), never
// another exception; an accepted file sets only settings dfs knows, with
// no more of them than the file has lines.
#include <boost/program_options.hpp>

#include <algorithm>

#include "../../src/cli/cli_util.hpp"
#include "../../src/cli/gc_command.hpp"
#include "../../src/cli/peer_options.hpp"
#include "fuzz_common.hpp"

namespace po = boost::program_options;

namespace {

const po::options_description& settings() {
  static const po::options_description all = [] {
    po::options_description desc;
    desc.add_options()("quota", po::value<std::string>());
    desc.add(dfs::cli::peer_options_description());
    desc.add(dfs::cli::gc_options_description());
    return desc;
  }();
  return all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(dfs::fuzz::as_text(data, size));
  auto parsed = dfs::cli::parse_config_text("dfs.conf", text, settings());
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.error().message.rfind("dfs.conf", 0) == 0);  // says which file
    return 0;
  }
  const auto lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  FUZZ_CHECK(parsed->options.size() <= lines);
  for (const auto& option : parsed->options) {
    FUZZ_CHECK(option.unregistered || settings().find_nothrow(option.string_key, false) != nullptr);
  }
  po::variables_map vm;
  try {
    po::store(*parsed, vm);
    po::notify(vm);
  } catch (const po::error&) {
    // A value of the wrong type or a setting given twice: a usage error.
  }
  return 0;
}
