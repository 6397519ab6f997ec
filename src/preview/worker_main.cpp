// pacsport-preview-worker: renders previews for the server, one request at a time,
// from the socket that is its stdin (worker_protocol.h). Started by WorkerProcess
// only; it exits when the server closes the socket.
#include <unistd.h>

#include <new>

#include "core/allocator_tuning.h"
#include "dicom/frame_renderer.h"
#include "dicom/initialize.h"
#include "preview/syscall_filter.h"
#include "preview/worker_process.h"
#include "preview/worker_protocol.h"

namespace pacsport::preview {
namespace {

// Renders one request. False when the server can no longer be told.
bool Serve(const RenderRequest& request, std::string_view object) {
  Result<int64_t> frames = dicom::RenderFrameRange(
      object, request.max_side, request.first_frame, request.frame_count,
      [](dicom::FramePng png) {
        return SendReply(STDIN_FILENO,
                         {ReplyKind::kFrame, png.width, png.height, 0, std::move(png.png)});
      });
  // A failed send ends the range with its kUnavailable: the server is gone. Rendering
  // refusals are kInvalidInput.
  if (!frames.ok() && frames.error().code() == ErrorCode::kUnavailable) return false;
  const Reply end = frames.ok() ? Reply{ReplyKind::kDone, 0, 0, *frames, {}}
                                : Reply{ReplyKind::kError, 0, 0, 0, frames.error().message()};
  return SendReply(STDIN_FILENO, end).ok();
}

int Run() {
  TuneAllocator();
  dicom::Initialize();
  if (Status confined = ConfineToRendering(); !confined.ok()) return 1;
  while (true) {
    Result<std::optional<ReceivedRequest>> received = ReadRequest(STDIN_FILENO);
    if (!received.ok()) {
      return received.error().code() == ErrorCode::kUnavailable ? kExitOutOfMemory : 1;
    }
    if (!*received) return 0;
    try {
      if (!Serve((*received)->request, (*received)->object.bytes())) return 1;
    } catch (const std::bad_alloc&) {
      return kExitOutOfMemory;
    }
  }
}

}  // namespace
}  // namespace pacsport::preview

int main() { return pacsport::preview::Run(); }
