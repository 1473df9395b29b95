// ReplicatorStats: what the replication engine did since it started, for
// `dfs status` and tests; and Counters, the atomics each part bumps.
#pragma once

#include <atomic>
#include <cstdint>

namespace dfs::replicate {

struct ReplicatorStats {
  std::uint64_t replicated = 0;         // replicate() calls finished
  std::uint64_t copies_pushed = 0;      // PUTs acknowledged, by replicate() and repair
  std::uint64_t fetches = 0;            // fetch() calls finished
  std::uint64_t fetch_failures = 0;     // of which failed
  std::uint64_t corrupt_responses = 0;  // GET answers whose bytes did not match the ID

  std::uint64_t repair_rounds = 0;      // rounds completed
  std::uint64_t chunks_checked = 0;     // chunks whose placement a round checked
  std::uint64_t repair_lookups = 0;     // DHT lookups rounds made to place them
  std::uint64_t under_replicated = 0;   // of which fewer than R placed holders had a copy
  std::uint64_t copies_made = 0;        // copies repair pushed successfully
  std::uint64_t repair_deferred = 0;    // missing copies left to a closer holder to push
  std::uint64_t repair_failures = 0;    // HAS or PUT RPCs of repair that failed
  std::uint64_t challenges = 0;         // storage challenges sent (PROVE_CHUNK)
  std::uint64_t challenges_failed = 0;  // of which not proven
  std::uint64_t distrusted = 0;         // peers distrusted now (not a counter)
  // Unix seconds at which the last complete sweep of repair over every
  // chunk began (0: none completed yet). Each sweep asks the holders about
  // every chunk, which renews its lease there (node/leases.hpp): no chunk
  // was renewed earlier than this.
  std::int64_t last_sweep_started = 0;
};

// The counters behind ReplicatorStats, shared by the parts (Placer,
// Fetcher, Repairer) of one Replicator. Written on the loop thread, read
// from any thread; no other data is published through them, so relaxed
// ordering is enough.
struct Counters {
  std::atomic<std::uint64_t> replicated{0};
  std::atomic<std::uint64_t> copies_pushed{0};
  std::atomic<std::uint64_t> fetches{0};
  std::atomic<std::uint64_t> fetch_failures{0};
  std::atomic<std::uint64_t> corrupt_responses{0};
  std::atomic<std::uint64_t> repair_rounds{0};
  std::atomic<std::uint64_t> chunks_checked{0};
  std::atomic<std::uint64_t> repair_lookups{0};
  std::atomic<std::uint64_t> under_replicated{0};
  std::atomic<std::uint64_t> copies_made{0};
  std::atomic<std::uint64_t> repair_deferred{0};
  std::atomic<std::uint64_t> repair_failures{0};
  std::atomic<std::uint64_t> challenges{0};
  std::atomic<std::uint64_t> challenges_failed{0};
  std::atomic<std::uint64_t> distrusted{0};  // set, not bumped: Distrusted::size() after each change
  std::atomic<std::int64_t> last_sweep_started{0};

  ReplicatorStats snapshot() const {
    auto load = [](const std::atomic<std::uint64_t>& c) { return c.load(std::memory_order_relaxed); };
    ReplicatorStats s;
    s.replicated = load(replicated);
    s.copies_pushed = load(copies_pushed);
    s.fetches = load(fetches);
    s.fetch_failures = load(fetch_failures);
    s.corrupt_responses = load(corrupt_responses);
    s.repair_rounds = load(repair_rounds);
    s.chunks_checked = load(chunks_checked);
    s.repair_lookups = load(repair_lookups);
    s.under_replicated = load(under_replicated);
    s.copies_made = load(copies_made);
    s.repair_deferred = load(repair_deferred);
    s.repair_failures = load(repair_failures);
    s.challenges = load(challenges);
    s.challenges_failed = load(challenges_failed);
    s.distrusted = load(distrusted);
    s.last_sweep_started = last_sweep_started.load(std::memory_order_relaxed);
    return s;
  }
};

inline void bump(std::atomic<std::uint64_t>& counter, std::uint64_t n = 1) {
  counter.fetch_add(n, std::memory_order_relaxed);
}

}  // namespace dfs::replicate
