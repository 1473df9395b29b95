// The peer options `dfs node` and dfsmount share (node_command.cpp):
// --listen, --bootstrap, --network-key, --replicas, --repair-interval,
// --fetch-timeout and the limits (limit_options.cpp), also read from
// DATA/dfs.conf.
#pragma once

#include <boost/program_options.hpp>
#include <string>

#include "dfs/p2p/peer.hpp"
#include "dfs/util/result.hpp"

namespace dfs::cli {

boost::program_options::options_description peer_options_description();
Result<p2p::PeerOptions> peer_options_from(const boost::program_options::variables_map& vm,
                                            const std::string& data_dir);

// The limits on what other peers can make this one hold (limit_options.cpp):
// --max-connections, --max-reply-queue, --write-timeout, ...,
// --storage-for-others.
void add_limit_options(boost::program_options::options_description& desc);
Status limit_options_from(const boost::program_options::variables_map& vm, p2p::PeerOptions& peer);

}  // namespace dfs::cli
