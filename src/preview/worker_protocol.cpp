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

}  // namespace

Status SendRequest(int fd, const RenderRequest& request, std::string_view object) {
  if (object.size() > kMaxRequestBytes) return InvalidInput("object too large to render");
  const RequestHeader header{request.max_side, 0, request.first_frame, request.frame_count,
                             object.size()};
  if (Status s = WriteAll(fd, &header, sizeof header); !s.ok()) return s;
  return WriteAll(fd, object.data(), object.size());
}

Result<Reply> ReadReply(int fd, Deadline deadline) {
  ReplyHeader header{};
  if (Status s = ReadAll(fd, &header, sizeof header, deadline); !s.ok()) return s.error();
  const auto kind = static_cast<ReplyKind>(header.kind);
  if ((kind != ReplyKind::kFrame && kind != ReplyKind::kDone && kind != ReplyKind::kError) ||
      header.payload_bytes > kMaxReplyBytes) {
    return Unavailable("protocol violation");
  }
  Reply reply{kind, header.width, header.height, header.object_frames,
              std::string(header.payload_bytes, '\0')};
  if (Status s = ReadAll(fd, reply.payload.data(), reply.payload.size(), deadline); !s.ok()) {
    return s.error();
  }
  return reply;
}

Result<std::optional<RenderRequest>> ReadRequest(int fd, std::string& object) {
  RequestHeader header{};
  if (Status s = ReadAll(fd, &header, sizeof header, std::nullopt); !s.ok()) {
    return std::optional<RenderRequest>();
  }
  if (header.object_bytes > kMaxRequestBytes) return InvalidInput("protocol violation");
  object.resize(header.object_bytes);
  if (Status s = ReadAll(fd, object.data(), object.size(), std::nullopt); !s.ok()) {
    return s.error();
  }
  return std::optional(RenderRequest{header.max_side, header.first_frame, header.frame_count});
}

Status SendReply(int fd, const Reply& reply) {
  const ReplyHeader header{static_cast<uint8_t>(reply.kind), {}, reply.width, reply.height, 0,
                           reply.object_frames, reply.payload.size()};
  if (Status s = WriteAll(fd, &header, sizeof header); !s.ok()) return s;
  return WriteAll(fd, reply.payload.data(), reply.payload.size());
}

}  // namespace pacsport::preview
