// dfs-bench-seal: how fast can this machine seal and open chunks?
//
// The CPU ceiling of `dfs put` and `dfs get`, measured the way dfs does the
// work: whole chunks (1 MiB by default) through seal_chunk (AES-256-GCM with
// a fresh nonce, then SHA-256 of the sealed bytes = the chunk ID) and
// through open_chunk (SHA-256 check of the ID, then GCM verify + decrypt),
// each call allocating its output as dfs does. Every figure is plaintext
// bytes per second of wall time, MB = 10^6 bytes, measured once on one
// thread and once with one thread per core (each thread on its own chunk,
// like the node's worker pool).
//
// The two primitives are timed alone too (SHA-256, and GCM without the
// hash) so that a slow put or get can be split into hashing and AES.
//
// Human-readable figures go to stderr; stdout gets one line of key=value
// pairs for scripts (bench/foundation.sh):
//
//   seal_hash_mbps_1t=... seal_hash_mbps_nt=... open_mbps_1t=... open_mbps_nt=...
//   sha256_mbps_1t=... gcm_seal_mbps_1t=... gcm_open_mbps_1t=... threads=N chunk_bytes=...
//
// Usage: dfs-bench-seal [--seconds S] [--threads N] [--chunk-size BYTES]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "dfs/chunk/sealed_chunk.hpp"
#include "dfs/crypto/crypto.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  double seconds = 2.0;              // per measurement, after a warm-up
  unsigned threads = 0;              // 0 = one per hardware thread
  std::size_t chunk_bytes = dfs::kDefaultChunkSize;
};

// One unit of work on a thread's own state: processes one chunk and
// returns false if something that must not fail did (a bug, not slowness).
using Step = std::function<bool()>;
// Builds a thread's state (its chunk, key, sealed copy) outside the timing.
using StepFactory = std::function<Step()>;

// Runs `threads` threads that each repeat their step until `seconds` have
// passed; returns plaintext MB/s over the wall time from the common start
// to the last thread's end. Exits the process if a step fails.
double measure(const StepFactory& make_step, unsigned threads, double seconds, std::size_t chunk_bytes) {
  std::vector<Step> steps;
  steps.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) steps.push_back(make_step());

  std::atomic<unsigned> ready{0};
  std::atomic<bool> go{false};
  std::atomic<bool> failed{false};
  std::vector<std::uint64_t> chunks_done(threads, 0);
  Clock::time_point start;
  const auto budget = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));

  auto body = [&](unsigned i) {
    // Warm-up outside the timing: caches, allocator arenas, CPU clocks.
    for (int w = 0; w < 4; ++w) {
      if (!steps[i]()) failed = true;
    }
    ready.fetch_add(1);
    while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
    const auto deadline = start + budget;
    std::uint64_t n = 0;
    do {
      if (!steps[i]()) {
        failed = true;
        break;
      }
      ++n;
    } while (Clock::now() < deadline);
    chunks_done[i] = n;
  };

  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) pool.emplace_back(body, i);
  while (ready.load() < threads) std::this_thread::yield();
  start = Clock::now();
  go.store(true, std::memory_order_release);
  for (auto& t : pool) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();

  if (failed) {
    std::fprintf(stderr, "dfs-bench-seal: a chunk failed to open: the crypto layer is broken\n");
    std::exit(1);
  }
  std::uint64_t total = 0;
  for (auto n : chunks_done) total += n;
  return static_cast<double>(total) * static_cast<double>(chunk_bytes) / elapsed / 1e6;
}

dfs::Bytes random_chunk(std::size_t size) {
  dfs::Bytes plain(size);
  dfs::crypto::random_bytes(plain);
  return plain;
}

// seal_chunk exactly as `dfs put` calls it per chunk.
Step seal_step(std::size_t chunk_bytes) {
  auto key = dfs::crypto::SecretKey::generate();
  return [key, plain = random_chunk(chunk_bytes)] {
    dfs::SealedChunk sealed = dfs::seal_chunk(key, dfs::ChunkKind::data, plain);
    return sealed.bytes.size() == plain.size() + dfs::kChunkOverhead;
  };
}

// open_chunk (verify the ID, then decrypt): a reader's work per chunk.
Step open_step(std::size_t chunk_bytes) {
  auto key = dfs::crypto::SecretKey::generate();
  dfs::SealedChunk sealed = dfs::seal_chunk(key, dfs::ChunkKind::data, random_chunk(chunk_bytes));
  return [key, sealed = std::move(sealed)] {
    auto plain = dfs::open_chunk(key, dfs::ChunkKind::data, sealed.id, sealed.bytes);
    return plain.ok();
  };
}

// SHA-256 alone over a sealed-chunk-sized buffer.
Step sha256_step(std::size_t chunk_bytes) {
  return [data = random_chunk(chunk_bytes + dfs::kChunkOverhead)] {
    return dfs::crypto::sha256(data) != dfs::crypto::Digest{};  // all zeros: nothing was hashed
  };
}

// AES-256-GCM seal alone, into a reused buffer (no hash, no allocation).
Step gcm_seal_step(std::size_t chunk_bytes) {
  auto key = dfs::crypto::SecretKey::generate();
  return [key, plain = random_chunk(chunk_bytes), out = dfs::Bytes(chunk_bytes + dfs::crypto::kTagSize)]() mutable {
    dfs::crypto::Nonce nonce{};
    dfs::crypto::aes256gcm_seal(key, nonce, {}, plain, out);
    return true;
  };
}

// AES-256-GCM verify + decrypt alone, into a reused buffer.
Step gcm_open_step(std::size_t chunk_bytes) {
  auto key = dfs::crypto::SecretKey::generate();
  dfs::crypto::Nonce nonce{};
  dfs::Bytes plain = random_chunk(chunk_bytes);
  dfs::Bytes sealed(chunk_bytes + dfs::crypto::kTagSize);
  dfs::crypto::aes256gcm_seal(key, nonce, {}, plain, sealed);
  return [key, nonce, sealed = std::move(sealed), out = std::move(plain)]() mutable {
    return dfs::crypto::aes256gcm_open(key, nonce, {}, sealed, out).ok();
  };
}

[[noreturn]] void usage(const char* why) {
  if (why != nullptr) std::fprintf(stderr, "dfs-bench-seal: %s\n", why);
  std::fprintf(stderr,
               "usage: dfs-bench-seal [--seconds S] [--threads N] [--chunk-size BYTES]\n"
               "  --seconds S         time per measurement (default 2)\n"
               "  --threads N         threads for the _nt figures (default: one per core)\n"
               "  --chunk-size BYTES  plaintext bytes per chunk (default 1048576)\n");
  std::exit(why == nullptr ? 0 : 2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") usage(nullptr);
    if (i + 1 >= argc) usage(("missing value after " + std::string(arg)).c_str());
    const char* value = argv[++i];
    char* end = nullptr;
    if (arg == "--seconds") {
      o.seconds = std::strtod(value, &end);
      if (*end != '\0' || !(o.seconds > 0 && o.seconds <= 600)) usage("--seconds takes a number in (0, 600]");
    } else if (arg == "--threads") {
      const unsigned long n = std::strtoul(value, &end, 10);
      if (*end != '\0' || n < 1 || n > 1024) usage("--threads takes a number from 1 to 1024");
      o.threads = static_cast<unsigned>(n);
    } else if (arg == "--chunk-size") {
      const unsigned long long n = std::strtoull(value, &end, 10);
      if (*end != '\0' || n < dfs::kMinChunkSize || n > dfs::kMaxChunkSize) {
        usage("--chunk-size takes a byte count from 4096 to 16777216");
      }
      o.chunk_bytes = static_cast<std::size_t>(n);
    } else {
      usage(("unknown option " + std::string(arg)).c_str());
    }
  }
  if (o.threads == 0) o.threads = std::max(1u, std::thread::hardware_concurrency());
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  auto run = [&](const char* what, Step (*make)(std::size_t), unsigned threads) {
    const double mbps = measure([&] { return make(o.chunk_bytes); }, threads, o.seconds, o.chunk_bytes);
    std::fprintf(stderr, "%-34s %2u thread%s %9.0f MB/s\n", what, threads, threads == 1 ? " " : "s", mbps);
    return mbps;
  };
  std::fprintf(stderr, "dfs-bench-seal: %zu-byte chunks, %.1f s per figure, MB = 10^6 bytes\n", o.chunk_bytes,
               o.seconds);
  const double seal_1t = run("seal_chunk (GCM seal + SHA-256)", seal_step, 1);
  const double seal_nt = run("seal_chunk (GCM seal + SHA-256)", seal_step, o.threads);
  const double open_1t = run("open_chunk (SHA-256 + GCM open)", open_step, 1);
  const double open_nt = run("open_chunk (SHA-256 + GCM open)", open_step, o.threads);
  const double sha_1t = run("  SHA-256 alone", sha256_step, 1);
  const double gcm_seal_1t = run("  AES-256-GCM seal alone", gcm_seal_step, 1);
  const double gcm_open_1t = run("  AES-256-GCM open alone", gcm_open_step, 1);
  std::printf(
      "seal_hash_mbps_1t=%.0f seal_hash_mbps_nt=%.0f open_mbps_1t=%.0f open_mbps_nt=%.0f "
      "sha256_mbps_1t=%.0f gcm_seal_mbps_1t=%.0f gcm_open_mbps_1t=%.0f threads=%u chunk_bytes=%zu\n",
      seal_1t, seal_nt, open_1t, open_nt, sha_1t, gcm_seal_1t, gcm_open_1t, o.threads, o.chunk_bytes);
  return 0;
}
