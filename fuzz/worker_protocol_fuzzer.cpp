// The preview worker protocol, decoding fuzzed messages from a socket pair. The first
// input byte chooses the side, the rest is what arrives on the socket:
//   even: the server reading replies (ReadReply until the stream ends). A worker is
//         untrusted: nothing it sends may crash the server or yield a reply of
//         another kind or a payload beyond the protocol's bound;
//   odd:  a worker reading a request (ReadRequest). When the second byte is odd, the
//         message carries the descriptor of a memory file holding the same bytes as
//         the object, the way the server shares an object; every byte of an object
//         that the worker maps must then be readable.
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "fuzz_check.h"
#include "preview/worker_protocol.h"

namespace {

using namespace pacsport::preview;
using pacsport::fuzz::Check;

// Below a socket pair's buffer, so the bytes can be written before they are read.
constexpr size_t kMaxInput = size_t{64} << 10;

// Sends `bytes` to `fd` in one message, with `object_fd` attached unless it is -1.
void SendMessage(int fd, const uint8_t* bytes, size_t size, int object_fd) {
  iovec data{const_cast<uint8_t*>(bytes), size};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))]{};
  msghdr message{};
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  if (object_fd != -1) {
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    cmsghdr* descriptor = CMSG_FIRSTHDR(&message);
    descriptor->cmsg_level = SOL_SOCKET;
    descriptor->cmsg_type = SCM_RIGHTS;
    descriptor->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(descriptor), &object_fd, sizeof object_fd);
  }
  Check(::sendmsg(fd, &message, 0) == ssize_t(size), "the harness can send its input");
}

void ReadReplies(int fd) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    const auto reply = ReadReply(fd, deadline);
    if (!reply.ok()) {
      Check(reply.error().code() == pacsport::ErrorCode::kUnavailable,
            "a bad reply is kUnavailable");
      return;
    }
    Check(reply->kind == ReplyKind::kFrame || reply->kind == ReplyKind::kDone ||
              reply->kind == ReplyKind::kError,
          "a reply is of a known kind");
    Check(reply->payload.size() <= kMaxReplyBytes, "a reply's payload is within bounds");
  }
}

void ReadOneRequest(int fd) {
  const auto received = ReadRequest(fd);
  if (!received.ok() || !received->has_value()) return;
  const std::string_view object = (*received)->object.bytes();
  Check(object.size() <= kMaxRequestBytes, "a mapped object is within bounds");
  // Reads every byte: a mapping beyond the end of the memory file faults here.
  volatile const auto zeros = std::count(object.begin(), object.end(), '\0');
  (void)zeros;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2 || size > kMaxInput) return 0;
  int ends[2];
  Check(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) == 0, "socketpair works");
  const bool request = data[0] % 2 == 1;
  const bool with_object = request && data[1] % 2 == 1;
  const uint8_t* stream = data + (request ? 2 : 1);
  const size_t stream_size = size - (request ? 2 : 1);
  int object_fd = -1;
  if (with_object) {
    object_fd = ::memfd_create("fuzz-object", MFD_CLOEXEC);
    Check(object_fd != -1 && ::write(object_fd, stream, stream_size) == ssize_t(stream_size),
          "a memory file holds the object");
  }
  SendMessage(ends[1], stream, stream_size, object_fd);
  if (object_fd != -1) ::close(object_fd);
  ::close(ends[1]);
  if (request) {
    ReadOneRequest(ends[0]);
  } else {
    ReadReplies(ends[0]);
  }
  ::close(ends[0]);
  return 0;
}
