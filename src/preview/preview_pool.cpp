#include "preview/preview_pool.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <thread>

#include "preview/worker_process.h"
#include "preview/worker_protocol.h"

namespace pacsport::preview {

namespace {

constexpr std::string_view kPngSignature = "\x89PNG\r\n\x1a\n";

// How long a worker may go without sending anything, per frame: several times its
// CPU allowance, so that a loaded machine is not mistaken for a stalled worker.
constexpr int kStallFactor = 4;

// How long a worker whose socket closed gets to finish exiting, so that its exit
// status can say why.
constexpr std::chrono::milliseconds kExitGrace{500};

}  // namespace

// One request to one worker: frames [request.first_frame, + request.frame_count).
struct PreviewPool::Chunk {
  size_t slot = 0;
  RenderRequest request;
  std::vector<dicom::FramePng> frames;
  int64_t object_frames = 0;  // from kDone
  std::optional<Error> error;
  bool done = false;
  Deadline deadline;
};

std::filesystem::path DefaultWorkerExecutable() {
  std::error_code ignored;
  return std::filesystem::read_symlink("/proc/self/exe", ignored).parent_path() /
         "pacsport-preview-worker";
}

Result<std::unique_ptr<PreviewPool>> PreviewPool::Create(const PreviewPoolSettings& settings) {
  const std::string path = settings.worker_executable.string();
  if (path.empty() || ::access(path.c_str(), X_OK) != 0) {
    return InvalidInput("preview worker " + path + " is missing or not executable");
  }
  PreviewPoolSettings effective = settings;
#if defined(__SANITIZE_ADDRESS__)
  effective.memory_limit_bytes = 0;
#endif
  return std::unique_ptr<PreviewPool>(new PreviewPool(effective));
}

PreviewPool::PreviewPool(const PreviewPoolSettings& settings)
    : settings_(settings),
      slots_(settings.workers > 0 ? settings.workers
                                  : std::max(1u, std::thread::hardware_concurrency())),
      busy_(slots_.size(), false) {}

PreviewPool::~PreviewPool() = default;

std::vector<size_t> PreviewPool::Acquire(size_t wanted) {
  std::unique_lock lock(mutex_);
  released_.wait(lock, [this] { return std::find(busy_.begin(), busy_.end(), false) != busy_.end(); });
  std::vector<size_t> taken;
  // Running workers first: starting one costs an exec and the toolkit's start-up.
  for (bool running : {true, false}) {
    for (size_t i = 0; i < slots_.size() && taken.size() < wanted; ++i) {
      if (!busy_[i] && (slots_[i] != nullptr) == running) {
        busy_[i] = true;
        taken.push_back(i);
      }
    }
  }
  return taken;
}

void PreviewPool::Release(const std::vector<size_t>& slots) {
  {
    std::lock_guard lock(mutex_);
    for (size_t slot : slots) busy_[slot] = false;
  }
  released_.notify_all();
}

void PreviewPool::Fail(Chunk& chunk, const std::string& what) {
  std::unique_ptr<WorkerProcess>& worker = slots_[chunk.slot];
  const std::string how = worker->End(kExitGrace);
  worker.reset();
  const int64_t frame = chunk.request.first_frame + static_cast<int64_t>(chunk.frames.size());
  chunk.error = InvalidInput("frame " + std::to_string(frame) + ": " +
                             (what.empty() ? "rendering " + how : what));
  chunk.done = true;
}

void PreviewPool::RunChunks(const SharedObject& object, std::vector<Chunk>& chunks) {
  const auto stall_limit = settings_.frame_cpu_limit * kStallFactor;
  const std::string stalled =
      "rendering stalled for more than " + std::to_string(stall_limit.count()) + " s";
  for (Chunk& chunk : chunks) {
    std::unique_ptr<WorkerProcess>& worker = slots_[chunk.slot];
    if (!worker) {
      auto started = WorkerProcess::Start(settings_.worker_executable,
                                          settings_.memory_limit_bytes);
      if (!started.ok()) {
        chunk.error = started.error();
        chunk.done = true;
        continue;
      }
      worker = std::move(started).value();
    }
    Status sent = worker->GrantCpu(settings_.frame_cpu_limit);
    if (sent.ok()) sent = SendRequest(worker->socket(), chunk.request, object);
    if (!sent.ok()) {
      Fail(chunk, "");
      continue;
    }
    chunk.deadline = std::chrono::steady_clock::now() + stall_limit;
  }

  while (true) {
    std::vector<pollfd> watched;
    std::vector<Chunk*> waiting;
    Deadline next = Deadline::max();
    for (Chunk& chunk : chunks) {
      if (chunk.done) continue;
      watched.push_back({slots_[chunk.slot]->socket(), POLLIN, 0});
      waiting.push_back(&chunk);
      next = std::min(next, chunk.deadline);
    }
    if (waiting.empty()) return;
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(next - std::chrono::steady_clock::now());
    ::poll(watched.data(), watched.size(), static_cast<int>(std::max<int64_t>(left.count(), 0)));

    for (size_t i = 0; i < waiting.size(); ++i) {
      Chunk& chunk = *waiting[i];
      if (watched[i].revents == 0 && std::chrono::steady_clock::now() < chunk.deadline) continue;
      WorkerProcess& worker = *slots_[chunk.slot];
      Result<Reply> reply = ReadReply(worker.socket(), chunk.deadline);
      if (!reply.ok()) {
        const std::string& why = reply.error().message();
        Fail(chunk, why == "timeout" ? stalled
                    : why == "closed" ? ""
                                      : "preview worker broke the protocol");
        continue;
      }
      switch (reply->kind) {
        case ReplyKind::kFrame: {
          const bool expected =
              static_cast<int64_t>(chunk.frames.size()) < chunk.request.frame_count &&
              reply->width > 0 && reply->height > 0 && reply->payload.starts_with(kPngSignature);
          if (!expected) {
            Fail(chunk, "preview worker broke the protocol");
            break;
          }
          chunk.frames.push_back({std::move(reply->payload), reply->width, reply->height});
          if (!worker.GrantCpu(settings_.frame_cpu_limit).ok()) {
            Fail(chunk, "");
            break;
          }
          chunk.deadline = std::chrono::steady_clock::now() + stall_limit;
          break;
        }
        case ReplyKind::kDone:
          chunk.object_frames = reply->object_frames;
          chunk.done = true;
          break;
        case ReplyKind::kError:
          chunk.error = InvalidInput(std::move(reply->payload));
          chunk.done = true;
          break;
      }
    }
  }
}

Status PreviewPool::Collect(Chunk& chunk, std::vector<dicom::FramePng>& frames) {
  if (chunk.error) return *chunk.error;
  if (static_cast<int64_t>(chunk.frames.size()) != chunk.request.frame_count) {
    return InvalidInput("frame " + std::to_string(chunk.request.first_frame) +
                        ": preview worker broke the protocol");
  }
  std::move(chunk.frames.begin(), chunk.frames.end(), std::back_inserter(frames));
  return Status::Ok();
}

Result<std::vector<dicom::FramePng>> PreviewPool::Render(std::string_view object,
                                                         uint32_t max_side) {
  Result<SharedObject> shared = SharedObject::Copy(object);
  if (!shared.ok()) return shared.error();
  return Render(*shared, max_side);
}

Status PreviewPool::RenderFrameZero(const SharedObject& object, uint32_t max_side,
                                    std::vector<dicom::FramePng>& frames,
                                    int64_t& object_frames) {
  const uint64_t limit = settings_.memory_limit_bytes;
  if (limit > 0 && object.size() >= limit) {
    return InvalidInput("file of " + std::to_string(object.size() >> 20) +
                        " MiB: larger than a preview worker's memory limit of " +
                        std::to_string(limit >> 20) + " MiB");
  }
  std::vector<Chunk> first(1);
  first[0].slot = Acquire(1).front();
  first[0].request = {max_side, 0, 1};
  RunChunks(object, first);
  Release({first[0].slot});
  object_frames = first[0].object_frames;
  return Collect(first[0], frames);
}

Result<dicom::FramePng> PreviewPool::RenderFirstFrame(std::string_view object,
                                                      uint32_t max_side) {
  auto shared = SharedObject::Copy(object);
  if (!shared.ok()) return shared.error();
  std::vector<dicom::FramePng> frames;
  int64_t object_frames = 0;
  if (Status s = RenderFrameZero(*shared, max_side, frames, object_frames); !s.ok()) {
    return s.error();
  }
  if (frames.empty()) return InvalidInput("the object has no image");
  return std::move(frames.front());
}

Result<std::vector<dicom::FramePng>> PreviewPool::Render(const SharedObject& object,
                                                         uint32_t max_side) {
  std::vector<dicom::FramePng> frames;
  // Frame 0 alone first: its worker also says how many frames there are.
  int64_t object_frames = 0;
  if (Status s = RenderFrameZero(object, max_side, frames, object_frames); !s.ok()) {
    return s.error();
  }
  const int64_t rest = object_frames - 1;
  if (rest <= 0) return frames;

  const std::vector<size_t> slots = Acquire(static_cast<size_t>(
      std::min<int64_t>(rest, static_cast<int64_t>(slots_.size()))));
  const auto parts = static_cast<int64_t>(slots.size());
  std::vector<Chunk> chunks(slots.size());
  for (int64_t i = 0; i < parts; ++i) {
    const int64_t begin = 1 + rest * i / parts;
    chunks[i].slot = slots[i];
    chunks[i].request = {max_side, begin, 1 + rest * (i + 1) / parts - begin};
  }
  RunChunks(object, chunks);
  Release(slots);
  for (Chunk& chunk : chunks) {
    if (Status s = Collect(chunk, frames); !s.ok()) return s.error();
  }
  return frames;
}

}  // namespace pacsport::preview
