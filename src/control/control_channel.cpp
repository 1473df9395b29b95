#include "dfs/control/control_channel.hpp"

#include <google/protobuf/message_lite.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace dfs::control {

namespace {

Status send_all(int fd, const std::string& bytes, int pass_fd) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    iovec iov{const_cast<char*>(bytes.data() + done), bytes.size() - done};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    if (pass_fd >= 0 && done == 0) {  // the descriptor rides with the first byte
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
      cmsg->cmsg_level = SOL_SOCKET;
      cmsg->cmsg_type = SCM_RIGHTS;
      cmsg->cmsg_len = CMSG_LEN(sizeof(int));
      std::memcpy(CMSG_DATA(cmsg), &pass_fd, sizeof(int));
    }
    ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE || errno == ECONNRESET) return make_error(Errc::unavailable, "the other side closed the control socket");
      return errno_error("cannot write to the control socket");
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

// Reads exactly `size` bytes; takes a passed descriptor if one arrives.
Status receive_all(int fd, char* out, std::size_t size, UniqueFd& received) {
  std::size_t done = 0;
  while (done < size) {
    iovec iov{out + done, size - done};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("cannot read from the control socket");
    }
    if (n == 0) return make_error(Errc::unavailable, "the other side closed the control socket");
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        int passed = -1;
        std::memcpy(&passed, CMSG_DATA(c), sizeof(int));
        received.reset(passed);
      }
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

}  // namespace

Status send_control_message(int socket_fd, const google::protobuf::MessageLite& message, int pass_fd) {
  std::string body;
  if (!message.SerializeToString(&body)) return make_error(Errc::internal, "cannot encode a control message");
  if (body.size() > kMaxControlMessageSize) return make_error(Errc::too_large, "control message too large");
  std::string frame(4, '\0');
  for (int i = 0; i < 4; ++i) frame[static_cast<std::size_t>(i)] = static_cast<char>(body.size() >> (8 * i));
  frame += body;
  return send_all(socket_fd, frame, pass_fd);
}

Status receive_control_message(int socket_fd, google::protobuf::MessageLite& message, UniqueFd* received_fd) {
  UniqueFd passed;
  unsigned char header[4];
  DFS_TRY(receive_all(socket_fd, reinterpret_cast<char*>(header), 4, passed));
  const std::size_t size = header[0] | (header[1] << 8) | (header[2] << 16) | (std::size_t{header[3]} << 24);
  if (size > kMaxControlMessageSize) {
    return make_error(Errc::too_large, "control message of " + std::to_string(size) + " bytes exceeds the limit");
  }
  std::string body(size, '\0');
  DFS_TRY(receive_all(socket_fd, body.data(), size, passed));
  if (!message.ParseFromString(body)) return make_error(Errc::corrupt, "malformed control message");
  if (received_fd) *received_fd = std::move(passed);
  return {};
}

std::string control_socket_path(const std::string& data_dir) { return data_dir + "/control.sock"; }

}  // namespace dfs::control
