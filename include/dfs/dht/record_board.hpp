// RecordBoard: the DHT's records as blocking calls with deadlines, for code
// off the network thread (node/recovery.hpp). p2p::Peer implements it over
// its Dht; tests use an in-memory board.
#pragma once

#include <vector>

#include "dfs/dht/messages.hpp"

namespace dfs::dht {

class RecordBoard {
 public:
  virtual ~RecordBoard() = default;
  // Publishes `record` as this node (Dht::put_record): stored on the k
  // closest nodes and republished until another record replaces it under
  // the same key. Errc::unavailable when no node took it (it is still
  // republished), Errc::timed_out past the deadline.
  virtual Status publish(Record record) = 0;
  // Records under `key` (Dht::get_records); Errc::not_found when none.
  virtual Result<std::vector<Record>> find(const NodeId& key) = 0;
};

}  // namespace dfs::dht
