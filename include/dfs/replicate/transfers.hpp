// Transfers: the chunk RPCs (PUT_CHUNK, GET_CHUNK, HAS_CHUNKS, PROVE_CHUNK) of one peer's
// replication engine, through one queue that bounds what is in flight
// (ReplicationConfig::parallel_transfers transfers of whole chunks, more of
// small ones: each counts by its size) and serves the ones a user waits
// for (placing new chunks, fetching) before background ones (repair), each
// with a backstop timeout (transfer_timeout) against a ChunkClient that
// never answers.
//
// Threading and lifetime: loop thread only; every `done` runs on a later
// turn of the loop (never inside the call), exactly once — unless the
// Transfers is destroyed first, which it may be with RPCs in flight: their
// callbacks then do nothing. The client, scheduler and runner must outlive
// it.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dfs/chunk/chunk_id.hpp"
#include "dfs/dht/contact.hpp"
#include "dfs/replicate/blocking_runner.hpp"
#include "dfs/replicate/chunk_client.hpp"
#include "dfs/replicate/lifeline.hpp"
#include "dfs/replicate/local_chunks.hpp"
#include "dfs/util/bytes.hpp"
#include "dfs/util/result.hpp"

namespace dfs::replicate {

class Transfers {
 public:
  // `parallel` is at least 1; `runner` may be null (put_from then reads on
  // the loop thread).
  Transfers(ChunkClient& client, Scheduler& scheduler, BlockingRunner* runner, std::size_t parallel,
            std::chrono::milliseconds timeout);
  ~Transfers();
  Transfers(const Transfers&) = delete;
  Transfers& operator=(const Transfers&) = delete;

  // PUT_CHUNK of bytes the caller holds (shared: the R copies of a chunk
  // send one buffer). `background` waits behind every foreground RPC.
  void put(const dht::Contact& to, const ChunkId& id, std::shared_ptr<const Bytes> sealed, bool background,
           std::function<void(Status)> done);
  // A background PUT_CHUNK of a chunk read from `local` once a slot is
  // granted, so a repair that copies thousands of chunks holds at most
  // `parallel` of them in memory, naming the lease key recorded with it
  // there (LocalChunks::lease_key_of). Fails as the reads do.
  void put_from(LocalChunks local, const dht::Contact& to, const ChunkId& id, std::function<void(Status)> done);
  // GET_CHUNK (foreground): the bytes as received, unverified. `sent`
  // (may be null) runs when the GET leaves the queue for the peer, so a
  // caller can time the answer from then rather than from the call.
  void get(const dht::Contact& to, const ChunkId& id, std::function<void(Result<Bytes>)> done,
           std::function<void()> sent = nullptr);
  // HAS_CHUNKS (background); an answer of another length than `ids` is
  // Errc::corrupt.
  void has(const dht::Contact& to, std::vector<ChunkId> ids, std::function<void(Result<std::vector<bool>>)> done);
  // PROVE_CHUNK (background): the proof as received, unchecked.
  void prove(const dht::Contact& to, const ChunkId& id, const ProofNonce& nonce,
             std::function<void(Result<crypto::Digest>)> done);

 private:
  class Queue;
  using Release = std::function<void()>;

  // Wraps `done` in the backstop (`what` names the RPC in its error) and
  // the release of the slot.
  template <typename T>
  std::function<void(T)> finish(Release release, std::string what, std::function<void(T)> done);

  ChunkClient& client_;
  Scheduler& scheduler_;
  const std::chrono::milliseconds timeout_;
  std::unique_ptr<Queue> queue_;
  Lifeline life_;  // last: cut first in the destructor
};

}  // namespace dfs::replicate
