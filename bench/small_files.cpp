// dfs-bench-small-files: create, then read back, N small files from one
// process, timing each phase (bench/mount.sh runs it on every filesystem).
//
//   dfs-bench-small-files DIR N [--size BYTES] [--drop-caches] [--unlink]
//
// Create: for each of N files DIR/fNNNNNN, open(O_CREAT|O_EXCL|O_WRONLY),
// one write of BYTES (default 4096) bytes, close. Nothing is fsynced: a
// close is what a program that writes small files does (on dfs it commits).
// Between the phases, with --drop-caches (root only), sync() and
// `echo 3 > /proc/sys/vm/drop_caches`, untimed, so that the reads go to the
// filesystem rather than the kernel's page and dentry caches.
// Read: for each file, open(O_RDONLY), read to the end, close; every file's
// bytes are checked against what was written (exit 1 on a mismatch).
//
// With --unlink, a last phase unlinks every file, timed.
//
// stdout: one line of key=value pairs,
//   files=N bytes=BYTES create_s=... read_s=... create_fifths=R1,R2,R3,R4,R5
//   [unlink_s=...]
// where create_fifths are the files/s of each fifth of the creates in
// order: whether creating stays as fast as the directory grows.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "dfs-bench-small-files: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

[[noreturn]] void usage() {
  std::fprintf(stderr, "usage: dfs-bench-small-files DIR N [--size BYTES] [--drop-caches]\n");
  std::exit(2);
}

// Distinct, cheap content per file, so that a read returning another
// file's bytes (or zeros) is caught.
void fill(std::vector<std::uint8_t>& buffer, std::uint64_t file) {
  std::uint64_t x = 0x9E3779B97F4A7C15ULL * (file + 1);
  for (auto& b : buffer) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    b = static_cast<std::uint8_t>(x);
  }
}

std::string name_of(const std::string& dir, unsigned long i) {
  char name[32];
  std::snprintf(name, sizeof name, "/f%06lu", i);
  return dir + name;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void write_all(int fd, const std::uint8_t* data, std::size_t size, const std::string& path) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) die("write " + path);
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) usage();
  const std::string dir = argv[1];
  char* end = nullptr;
  const unsigned long count = std::strtoul(argv[2], &end, 10);
  if (*end != '\0' || count == 0) usage();
  std::size_t size = 4096;
  bool drop = false;
  bool unlink = false;
  for (int i = 3; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--drop-caches") {
      drop = true;
    } else if (arg == "--unlink") {
      unlink = true;
    } else if (arg == "--size" && i + 1 < argc) {
      size = std::strtoul(argv[++i], &end, 10);
      if (*end != '\0' || size == 0) usage();
    } else {
      usage();
    }
  }

  std::vector<std::uint8_t> data(size), back(size + 1);
  const auto create_start = std::chrono::steady_clock::now();
  std::string fifths;
  auto fifth_start = create_start;
  for (unsigned long i = 0; i < count; ++i) {
    if (i > 0 && i % std::max(count / 5, 1ul) == 0 && i / std::max(count / 5, 1ul) < 5) {
      fifths += std::to_string(static_cast<long>(static_cast<double>(count / 5) / seconds_since(fifth_start))) + ",";
      fifth_start = std::chrono::steady_clock::now();
    }
    const std::string path = name_of(dir, i);
    fill(data, i);
    const int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0) die("create " + path);
    write_all(fd, data.data(), data.size(), path);
    if (::close(fd) != 0) die("close " + path);
  }
  const double create_s = seconds_since(create_start);
  fifths += std::to_string(static_cast<long>(static_cast<double>(count - 4 * (count / 5)) / seconds_since(fifth_start)));

  if (drop) {
    ::sync();
    const int fd = ::open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ::write(fd, "3", 1) != 1) die("drop caches (/proc/sys/vm/drop_caches; run as root)");
    ::close(fd);
  }

  const auto read_start = std::chrono::steady_clock::now();
  for (unsigned long i = 0; i < count; ++i) {
    const std::string path = name_of(dir, i);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) die("open " + path);
    std::size_t got = 0;
    for (;;) {
      const ssize_t n = ::read(fd, back.data() + got, back.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) die("read " + path);
      if (n == 0 || got + static_cast<std::size_t>(n) == back.size()) {
        got += static_cast<std::size_t>(n);
        break;
      }
      got += static_cast<std::size_t>(n);
    }
    if (::close(fd) != 0) die("close " + path);
    fill(data, i);
    if (got != size || std::memcmp(back.data(), data.data(), size) != 0) {
      std::fprintf(stderr, "dfs-bench-small-files: %s: %s\n", path.c_str(),
                   got != size ? "read back a different size than written" : "read back different bytes than written");
      return 1;
    }
  }
  const double read_s = seconds_since(read_start);

  std::printf("files=%lu bytes=%zu create_s=%.3f read_s=%.3f create_fifths=%s", count, size, create_s, read_s,
              fifths.c_str());
  if (unlink) {
    const auto unlink_start = std::chrono::steady_clock::now();
    for (unsigned long i = 0; i < count; ++i) {
      const std::string path = name_of(dir, i);
      if (::unlink(path.c_str()) != 0) die("unlink " + path);
    }
    std::printf(" unlink_s=%.3f", seconds_since(unlink_start));
  }
  std::printf("\n");
  return 0;
}
