// VersionStream: the replication stream (replicate/chunk_network.hpp) of the
// version a FileContent is writing. It is the sink of the content's
// VersionWriter (store/version_writer.hpp), so each chunk the mount seals —
// by write-behind while the file is being written, or at the commit — is
// on its way to its R peers while its sealed bytes are still in memory,
// exactly as a `dfs put`'s. The stream starts with the first chunk sealed
// after a commit; the commit takes it (take()) with the IDs it carried,
// and then close leaves it to finish in the background (ReplicationQueue)
// while fsync waits for its acknowledgements.
//
// Thread-safe: the sink runs on the pool's threads (several at once); one
// mutex guards the stream and the IDs, and is not held while add() waits
// for the stream's window.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "dfs/replicate/chunk_network.hpp"
#include "dfs/store/version_writer.hpp"

namespace dfs::fs {

class VersionStream {
 public:
  // `network` may be null (no peers): the sink is then empty.
  explicit VersionStream(replicate::ChunkNetwork* network) : network_(network) {}

  store::SealedSink sink();

  struct Taken {
    std::shared_ptr<replicate::ReplicationStream> stream;  // null if nothing was sent
    std::vector<ChunkId> sent;                        // the IDs it carried
  };
  // The stream of the chunks sealed so far; the next chunk starts a new one.
  // Call when no chunk is being sealed (the commit, after its seals).
  Taken take();

 private:
  replicate::ChunkNetwork* const network_;
  std::mutex mu_;  // guards stream_ and sent_
  std::shared_ptr<replicate::ReplicationStream> stream_;
  std::vector<ChunkId> sent_;
};

}  // namespace dfs::fs
