// Framing for the control socket (control.proto): a 4-byte little-endian
// length, then a protobuf message, optionally carrying one open file
// descriptor (SCM_RIGHTS). Blocking I/O: each side of the control socket is
// a thread of its own.
#pragma once

#include <string>

#include "dfs/util/file.hpp"

namespace google::protobuf {
class MessageLite;
}

namespace dfs::control {

// Control messages are small (no file data travels in them).
inline constexpr std::size_t kMaxControlMessageSize = 1u << 20;
// Replies that grow with what they describe (a directory's entries, the
// places of a tree's chunks) travel in pages cut once past this size, well
// under the limit: one item is at most a few KiB (a directory entry ~600
// bytes, a chunk's place with its R peers ~1 KiB).
inline constexpr std::size_t kPageBytes = 512 * 1024;

// Sends `message`, with `pass_fd` attached when it is >= 0.
Status send_control_message(int socket_fd, const google::protobuf::MessageLite& message, int pass_fd = -1);

// Receives one message into `message`; a descriptor that came with it is
// returned in `received_fd` (if not null; otherwise it is closed).
// Errc::unavailable when the other side closed the socket.
Status receive_control_message(int socket_fd, google::protobuf::MessageLite& message, UniqueFd* received_fd = nullptr);

// Path of the control socket of a data directory.
std::string control_socket_path(const std::string& data_dir);

}  // namespace dfs::control
