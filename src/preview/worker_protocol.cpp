#include "preview/worker_protocol.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace pacsport::preview {

namespace {

// Fixed-size headers, sent as they are laid out in memory.
struct RequestHeader {
  uint32_t max_side;
  uint32_t unused;
  int64_t first_frame;
  int64_t frame_count;
  uint64_t object_bytes;
};

struct ReplyHeader {
  uint8_t kind;
  uint8_t unused[3];
  uint32_t width;
  uint32_t height;
  uint32_t unused2;
  int64_t object_frames;
  uint64_t payload_bytes;
};

Status WriteAll(int fd, const void* data, size_t size) {
  const char* next = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t sent = ::send(fd, next, size, MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return Unavailable(std::string("closed: ") + std::strerror(errno));
    next += sent;
    size -= static_cast<size_t>(sent);
  }
  return Status::Ok();
}

// Reads exactly `size` bytes, waiting at most until `deadline` (none: forever).
// "closed" when the peer closed the socket first, "timeout" at the deadline.
Status ReadAll(int fd, void* data, size_t size, std::optional<Deadline> deadline) {
  char* next = static_cast<char*>(data);
  while (size > 0) {
    if (deadline) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(
          *deadline - std::chrono::steady_clock::now());
      pollfd watched{fd, POLLIN, 0};
      const int ready = ::poll(&watched, 1, static_cast<int>(std::max<int64_t>(left.count(), 0)));
      if (ready < 0 && errno == EINTR) continue;
      if (ready == 0) return Unavailable("timeout");
    }
    const ssize_t got = ::read(fd, next, size);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return Unavailable("closed");
    next += got;
    size -= static_cast<size_t>(got);
  }
  return Status::Ok();
}

// True when the file behind `fd` holds at least `size` bytes: a mapping beyond its
// end would fault (SIGBUS) where the decoder reads it. Measured with lseek, not fstat:
// glibc's fstat is newfstatat, a path-taking call the worker's seccomp filter refuses.
// The offset moved is unused (the object is only mapped).
bool HoldsAtLeast(int fd, uint64_t size) {
  const off_t end = ::lseek(fd, 0, SEEK_END);
  return end >= 0 && static_cast<uint64_t>(end) >= size;
}

}  // namespace

// A request header with room for one descriptor, which travels as ancillary data
// with the header's first byte. Not copyable: `message` points into it.
struct DescriptorMessage {
  RequestHeader header{};
  iovec data{&header, sizeof header};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))]{};
  msghdr message{nullptr, 0, &data, 1, control, sizeof control, 0};

  DescriptorMessage() = default;
  DescriptorMessage(const DescriptorMessage&) = delete;
  DescriptorMessage& operator=(const DescriptorMessage&) = delete;
};

Status SendRequest(int fd, const RenderRequest& request, const SharedObject& object) {
  if (object.size() > kMaxRequestBytes) return InvalidInput("object too large to render");
  DescriptorMessage out;
  out.header = {request.max_side, 0, request.first_frame, request.frame_count, object.size()};
  cmsghdr* descriptor = CMSG_FIRSTHDR(&out.message);
  descriptor->cmsg_level = SOL_SOCKET;
  descriptor->cmsg_type = SCM_RIGHTS;
  descriptor->cmsg_len = CMSG_LEN(sizeof(int));
  const int object_fd = object.fd();
  std::memcpy(CMSG_DATA(descriptor), &object_fd, sizeof object_fd);
  ssize_t sent = 0;
  do {
    sent = ::sendmsg(fd, &out.message, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  if (sent <= 0) return Unavailable(std::string("closed: ") + std::strerror(errno));
  const auto* rest = reinterpret_cast<const char*>(&out.header) + sent;
  return WriteAll(fd, rest, sizeof out.header - static_cast<size_t>(sent));
}

Result<Reply> ReadReply(int fd, Deadline deadline) {
  ReplyHeader header{};
  if (Status s = ReadAll(fd, &header, sizeof header, deadline); !s.ok()) return s.error();
  const auto kind = static_cast<ReplyKind>(header.kind);
  if ((kind != ReplyKind::kFrame && kind != ReplyKind::kDone && kind != ReplyKind::kError) ||
      header.payload_bytes > kMaxReplyBytes) {
    return Unavailable("protocol violation");
  }
  // The payload grows with the bytes that arrive, never ahead of them by more than a
  // chunk: a header alone cannot make the server allocate what it claims.
  constexpr uint64_t kChunkBytes = uint64_t{1} << 20;
  Reply reply{kind, header.width, header.height, header.object_frames, {}};
  while (reply.payload.size() < header.payload_bytes) {
    const size_t done = reply.payload.size();
    const size_t chunk = std::min(kChunkBytes, header.payload_bytes - done);
    reply.payload.resize(done + chunk);
    if (Status s = ReadAll(fd, reply.payload.data() + done, chunk, deadline); !s.ok()) {
      return s.error();
    }
  }
  return reply;
}

Result<std::optional<ReceivedRequest>> ReadRequest(int fd) {
  DescriptorMessage in;
  RequestHeader& header = in.header;
  ssize_t got = 0;
  do {
    got = ::recvmsg(fd, &in.message, MSG_CMSG_CLOEXEC);
  } while (got < 0 && errno == EINTR);
  if (got <= 0) return std::optional<ReceivedRequest>();
  const cmsghdr* descriptor = CMSG_FIRSTHDR(&in.message);
  if (descriptor == nullptr || descriptor->cmsg_type != SCM_RIGHTS ||
      descriptor->cmsg_len != CMSG_LEN(sizeof(int))) {
    return InvalidInput("protocol violation");
  }
  int object_fd = -1;
  std::memcpy(&object_fd, CMSG_DATA(descriptor), sizeof object_fd);
  auto* rest = reinterpret_cast<char*>(&header) + got;
  const bool whole =
      ReadAll(fd, rest, sizeof header - static_cast<size_t>(got), std::nullopt).ok() &&
      header.object_bytes <= kMaxRequestBytes && HoldsAtLeast(object_fd, header.object_bytes);
  Result<MappedObject> object = MappedObject::Map(object_fd, whole ? header.object_bytes : 0);
  if (!whole) return InvalidInput("protocol violation");
  if (!object.ok()) return object.error();
  return std::optional(ReceivedRequest{
      {header.max_side, header.first_frame, header.frame_count}, std::move(object).value()});
}

Status SendReply(int fd, const Reply& reply) {
  const ReplyHeader header{static_cast<uint8_t>(reply.kind), {}, reply.width, reply.height, 0,
                           reply.object_frames, reply.payload.size()};
  if (Status s = WriteAll(fd, &header, sizeof header); !s.ok()) return s;
  return WriteAll(fd, reply.payload.data(), reply.payload.size());
}

}  // namespace pacsport::preview
