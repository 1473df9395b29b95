// Whose turn it is when an outgoing connection dials a name with several
// addresses, and when to give up (Connection::connect_next).
//
// An address that refuses (RST, unreachable) is an answer: the next one is
// tried at once, and when every address has refused in a row the peer is
// down. An address that does not answer at all may be a link that is cut
// for now: it is dialled again each second, in turn with the others, until
// the set-up deadline, and such a turn breaks the row of refusals, or a
// name with one refusing and one silent address would give up after a
// second instead of waiting out the deadline for the silent one.
#pragma once

#include <cstddef>

namespace dfs::net {

class DialTurns {
 public:
  explicit DialTurns(std::size_t addresses) : addresses_(addresses) {}

  // Starts the next attempt: its number (a reply to an older attempt is
  // stale) is returned; index() names the address it dials.
  std::size_t next() { return ++attempt_; }
  std::size_t attempt() const { return attempt_; }
  std::size_t index() const { return (attempt_ - 1) % addresses_; }

  // The attempt was refused: true if every address has now refused in a row.
  bool refused() { return ++refused_in_a_row_ >= addresses_; }
  // The attempt got no answer within its turn and is superseded.
  void unanswered() { refused_in_a_row_ = 0; }

 private:
  std::size_t addresses_;
  std::size_t attempt_ = 0;
  std::size_t refused_in_a_row_ = 0;
};

}  // namespace dfs::net
