// The messages between the server and a preview worker process, over one stream
// socket. Both ends are the same build on the same machine: integers travel in the
// machine's byte order.
//
// The server sends a RenderRequest with the descriptor of a SharedObject holding the
// object's bytes (SCM_RIGHTS). The worker answers with one kFrame message per rendered frame, in frame order, then exactly
// one kDone or kError, and waits for the next request. A worker is untrusted:
// whatever it sends is checked (kind, sizes) before anything is allocated for it.
// Functions are stateless; each fd is used by one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "preview/shared_object.h"

namespace pacsport::preview {

struct RenderRequest {
  uint32_t max_side = 0;     // as for dicom::RenderFrames
  int64_t first_frame = 0;  // frames counted from 0
  int64_t frame_count = 1;
};

enum class ReplyKind : uint8_t { kFrame = 1, kDone = 2, kError = 3 };

struct Reply {
  ReplyKind kind = ReplyKind::kDone;
  uint32_t width = 0;         // kFrame only
  uint32_t height = 0;        // kFrame only
  int64_t object_frames = 0;  // kDone only: how many frames the whole object has
  std::string payload;        // kFrame: a PNG file; kError: the reason; kDone: empty
};

// Objects larger than this are never sent to a worker.
inline constexpr uint64_t kMaxRequestBytes = uint64_t{1} << 30;

struct ReceivedRequest {
  RenderRequest request;
  MappedObject object;
};
// A reply claiming more is a protocol violation.
inline constexpr uint64_t kMaxReplyBytes = uint64_t{1} << 30;

using Deadline = std::chrono::steady_clock::time_point;

// Server side. Errors are kUnavailable: the worker is gone or misbehaved.
Status SendRequest(int fd, const RenderRequest& request, const SharedObject& object);
// Waits until `deadline` for a whole reply. A timeout is kUnavailable with the
// message "timeout"; a closed socket, "closed".
Result<Reply> ReadReply(int fd, Deadline deadline);

// Worker side. ReadRequest returns nullopt when the server closed the socket,
// kUnavailable when the object cannot be mapped (out of memory), kInvalidInput when
// the server broke the protocol.
Result<std::optional<ReceivedRequest>> ReadRequest(int fd);
Status SendReply(int fd, const Reply& reply);

}  // namespace pacsport::preview
