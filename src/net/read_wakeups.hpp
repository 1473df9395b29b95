// How many bytes the socket must hold before a connection's reader is woken
// (SO_RCVLOWAT), while a large payload arrives (Connection::read_more).
//
// Why: a payload of 1 MiB comes as 64 TLS records of 16 KiB, and a reader
// faster than its sender drains the socket, sleeps in epoll and is woken
// again for every few records: 11 wake-ups per chunk received in a put
// with R = 3 on 4 loopback peers (perf sched:sched_wakeup), each a context
// switch and often an IPI to the other core, which on the VMs we measured
// costs tens of microseconds of CPU. Waiting for a few hundred KiB instead
// wakes the reader two or three times per chunk.
//
// Safety: the mark must never exceed the bytes that are sure to arrive, or
// the reader would sleep until the frame deadline closes the connection.
// The missing plaintext of the current payload is a lower bound of the
// ciphertext still to come on the socket (TLS only adds bytes), less what
// the TLS layer already took off the socket and holds (Asio's 17 KiB input
// buffer and BIO pair, one record inside OpenSSL): kMargin covers that
// with room to spare. Between payloads (a header, a small frame, an idle
// connection) the mark is 1, the kernel's default.
#pragma once

#include <algorithm>
#include <cstddef>

namespace dfs::net {

class ReadWakeups {
 public:
  static constexpr std::size_t kMargin = 64 * 1024;    // more than the TLS layer can hold already
  static constexpr std::size_t kStep = 64 * 1024;      // the mark moves in these steps
  static constexpr std::size_t kMinMark = 128 * 1024;  // below this, waking at once costs little
  static constexpr std::size_t kMaxMark = 512 * 1024;  // the kernel grows the socket buffer to twice the mark

  // The mark to set before the next read, given the payload bytes still
  // missing (0 between payloads) and the mark set now. Equal to `current`
  // when nothing needs to change (the caller then makes no system call).
  // Within a payload the mark only goes down, a step at a time as the
  // missing bytes shrink (a 1 MiB payload costs about eight changes, not
  // one per record), and it is 1 once fewer than kMargin + kMinMark bytes
  // are missing, until the next payload.
  static std::size_t next(std::size_t current, std::size_t missing) {
    const std::size_t safe = missing > kMargin ? missing - kMargin : 0;
    if (safe < kMinMark) return 1;
    if (current > 1 && current <= safe) return current;
    return std::min(safe / kStep * kStep, kMaxMark);
  }
};

}  // namespace dfs::net
