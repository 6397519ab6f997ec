#include "preview/preview_pool.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include "core/metrics.h"
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

const std::string kBrokeProtocol = "preview worker broke the protocol";

struct FrameSize {
  uint32_t width = 0;
  uint32_t height = 0;
  bool operator==(const FrameSize&) const = default;
};

// The size a PNG file declares in its IHDR chunk, which must come first; nullopt
// when `png` does not start so.
std::optional<FrameSize> PngSize(std::string_view png) {
  constexpr size_t kIhdrEnd = 24;  // signature, chunk length, "IHDR", width, height
  if (png.size() < kIhdrEnd || !png.starts_with(kPngSignature) || png.substr(12, 4) != "IHDR") {
    return std::nullopt;
  }
  auto big_endian = [&](size_t at) {
    uint32_t value = 0;
    for (size_t i = 0; i < 4; ++i) value = (value << 8) | static_cast<unsigned char>(png[at + i]);
    return value;
  };
  return FrameSize{big_endian(16), big_endian(20)};
}

// Observes a render's duration in the process's metrics when it ends, however it ends.
class RenderTimer {
 public:
  explicit RenderTimer(PreviewKind kind) : kind_(kind) {}
  ~RenderTimer() {
    ProcessMetrics().PreviewRendered(kind_, std::chrono::steady_clock::now() - started_);
  }
  RenderTimer(const RenderTimer&) = delete;
  RenderTimer& operator=(const RenderTimer&) = delete;

 private:
  const PreviewKind kind_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace

// One request to one worker: frames [request.first_frame, + request.frame_count).
struct PreviewPool::Chunk {
  size_t slot = 0;
  RenderRequest request;
  std::vector<dicom::FramePng> frames;
  std::optional<Error> error;
  bool done = false;
  Deadline deadline;
};

// What one Render has learnt so far, checked against every chunk's answers.
struct PreviewPool::Progress {
  std::vector<dicom::FramePng> frames;   // in frame order
  std::optional<int64_t> object_frames;  // the job's, else frame 0's worker's
  std::optional<FrameSize> size;         // that of the first frame received
  uint64_t bytes = 0;                    // of every PNG received
  std::optional<Error> over_budget;      // set: every chunk is stopped
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
      served_(slots_.size(), 0),
      busy_(slots_.size(), false) {}

PreviewPool::~PreviewPool() = default;

std::vector<size_t> PreviewPool::Acquire(RowId hospital, size_t wanted) {
  std::unique_lock lock(mutex_);
  released_.wait(lock,
                 [this] { return std::find(busy_.begin(), busy_.end(), false) != busy_.end(); });
  std::vector<size_t> taken;
  // Running workers of the hospital first: starting one costs an exec and the
  // toolkit's start-up; a worker of another hospital costs that and its retirement.
  enum class Kind { kSameHospital, kNone, kOtherHospital };
  auto kind_of = [&](size_t i) {
    if (slots_[i] == nullptr) return Kind::kNone;
    return served_[i] == hospital ? Kind::kSameHospital : Kind::kOtherHospital;
  };
  for (Kind wanted_kind : {Kind::kSameHospital, Kind::kNone, Kind::kOtherHospital}) {
    for (size_t i = 0; i < slots_.size() && taken.size() < wanted; ++i) {
      if (!busy_[i] && kind_of(i) == wanted_kind) {
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

void PreviewPool::Kill(Chunk& chunk, Error error) {
  std::unique_ptr<WorkerProcess>& worker = slots_[chunk.slot];
  if (worker) {
    worker->End(kExitGrace);
    ProcessMetrics().PreviewWorkerEnded(WorkerEnd::kKilled);
  }
  worker.reset();
  chunk.error = std::move(error);
  chunk.done = true;
}

void PreviewPool::Fail(Chunk& chunk, const std::string& what) {
  const std::string how = what.empty() ? "rendering " + slots_[chunk.slot]->End(kExitGrace) : what;
  const int64_t frame = chunk.request.first_frame + static_cast<int64_t>(chunk.frames.size());
  Kill(chunk, InvalidInput("frame " + std::to_string(frame) + ": " + how));
}

bool PreviewPool::Accept(const Reply& frame, const RenderJob& job, Chunk& chunk,
                         Progress& progress) const {
  if (static_cast<int64_t>(chunk.frames.size()) >= chunk.request.frame_count) return false;
  const std::optional<FrameSize> size = PngSize(frame.payload);
  if (!size || size->width == 0 || size->height == 0 ||
      *size != FrameSize{frame.width, frame.height}) {
    return false;
  }
  if (job.max_side > 0 && std::max(size->width, size->height) > job.max_side) return false;
  // Every frame of an object has its Rows and Columns, so every preview one size.
  if (!progress.size) progress.size = size;
  return *progress.size == *size;
}

void PreviewPool::RunChunks(const RenderJob& job, const SharedObject& object,
                            std::vector<Chunk>& chunks, Progress& progress) {
  const auto stall_limit = settings_.frame_cpu_limit * kStallFactor;
  const std::string stalled =
      "rendering stalled for more than " + std::to_string(stall_limit.count()) + " s";
  for (Chunk& chunk : chunks) {
    std::unique_ptr<WorkerProcess>& worker = slots_[chunk.slot];
    if (worker && served_[chunk.slot] != job.hospital) {
      worker->End(std::chrono::milliseconds(0));  // retired: it saw another hospital's objects
      worker.reset();
      ProcessMetrics().PreviewWorkerEnded(WorkerEnd::kRetired);
    }
    if (!worker) {
      auto started =
          WorkerProcess::Start(settings_.worker_executable, settings_.memory_limit_bytes);
      if (!started.ok()) {
        chunk.error = started.error();
        chunk.done = true;
        continue;
      }
      worker = std::move(started).value();
      served_[chunk.slot] = job.hospital;
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
    // Each waiting chunk's socket, then its worker's stderr.
    std::vector<pollfd> watched;
    std::vector<Chunk*> waiting;
    Deadline next = Deadline::max();
    for (Chunk& chunk : chunks) {
      if (chunk.done) continue;
      if (progress.over_budget) {
        Kill(chunk, *progress.over_budget);
        continue;
      }
      WorkerProcess& worker = *slots_[chunk.slot];
      watched.push_back({worker.socket(), POLLIN, 0});
      watched.push_back({worker.stderr_relay().fd(), POLLIN, 0});
      waiting.push_back(&chunk);
      next = std::min(next, chunk.deadline);
    }
    if (waiting.empty()) return;
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(next - std::chrono::steady_clock::now());
    ::poll(watched.data(), watched.size(), static_cast<int>(std::max<int64_t>(left.count(), 0)));

    for (size_t i = 0; i < waiting.size(); ++i) {
      Chunk& chunk = *waiting[i];
      WorkerProcess& worker = *slots_[chunk.slot];
      if (watched[2 * i + 1].revents != 0) worker.stderr_relay().Drain();
      if (watched[2 * i].revents == 0 && std::chrono::steady_clock::now() < chunk.deadline)
        continue;
      Result<Reply> reply = ReadReply(worker.socket(), chunk.deadline);
      if (!reply.ok()) {
        const std::string& why = reply.error().message();
        Fail(chunk, why == "timeout" ? stalled : why == "closed" ? "" : kBrokeProtocol);
        continue;
      }
      switch (reply->kind) {
        case ReplyKind::kFrame: {
          if (!Accept(*reply, job, chunk, progress)) {
            Fail(chunk, kBrokeProtocol);
            break;
          }
          progress.bytes += reply->payload.size();
          if (progress.bytes > settings_.max_bytes_per_instance) {
            Fail(chunk, "previews over preview.max_bytes_per_instance_mb (" +
                            std::to_string(settings_.max_bytes_per_instance >> 20) + " MiB)");
            progress.over_budget = chunk.error;
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
          // Frame 0's worker tells the count when the server does not know it; every
          // other answer must agree with it.
          if (!progress.object_frames) progress.object_frames = reply->object_frames;
          if (reply->object_frames != *progress.object_frames) {
            Kill(chunk, InvalidInput(
                            "preview worker reported " + std::to_string(reply->object_frames) +
                            " frames, the object has " + std::to_string(*progress.object_frames)));
            break;
          }
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
    return InvalidInput("frame " + std::to_string(chunk.request.first_frame) + ": " +
                        kBrokeProtocol);
  }
  std::move(chunk.frames.begin(), chunk.frames.end(), std::back_inserter(frames));
  return Status::Ok();
}

Status PreviewPool::RenderFrameZero(const RenderJob& job, const SharedObject& object,
                                    Progress& progress) {
  const uint64_t limit = settings_.memory_limit_bytes;
  if (limit > 0 && object.size() >= limit) {
    return InvalidInput("file of " + std::to_string(object.size() >> 20) +
                        " MiB: larger than a preview worker's memory limit of " +
                        std::to_string(limit >> 20) + " MiB");
  }
  std::vector<Chunk> first(1);
  first[0].slot = Acquire(job.hospital, 1).front();
  first[0].request = {job.max_side, 0, 1};
  RunChunks(job, object, first, progress);
  Release({first[0].slot});
  return Collect(first[0], progress.frames);
}

Status PreviewPool::CheckFrameCount(int64_t frames) const {
  if (frames <= settings_.max_frames_per_instance) return Status::Ok();
  return InvalidInput(std::to_string(frames) + " frames: over preview.max_frames_per_instance (" +
                      std::to_string(settings_.max_frames_per_instance) + ")");
}

Result<std::vector<dicom::FramePng>> PreviewPool::Render(const RenderJob& job,
                                                         std::string_view object) {
  Result<SharedObject> shared = SharedObject::Copy(object);
  if (!shared.ok()) return shared.error();
  return Render(job, *shared);
}

Result<dicom::FramePng> PreviewPool::RenderFirstFrame(const RenderJob& job,
                                                      std::string_view object) {
  const RenderTimer timer(PreviewKind::kThumbnail);
  auto shared = SharedObject::Copy(object);
  if (!shared.ok()) return shared.error();
  Progress progress;
  progress.object_frames = job.frames;
  if (Status s = RenderFrameZero(job, *shared, progress); !s.ok()) return s.error();
  if (progress.frames.empty()) return InvalidInput("the object has no image");
  return std::move(progress.frames.front());
}

Result<std::vector<dicom::FramePng>> PreviewPool::Render(const RenderJob& job,
                                                         const SharedObject& object) {
  const RenderTimer timer(PreviewKind::kFrames);
  // The server's own count is checked before any worker sees the object.
  if (Status s = CheckFrameCount(job.frames.value_or(0)); !s.ok()) return s.error();
  Progress progress;
  progress.object_frames = job.frames;
  // Frame 0 alone first: its worker also says how many frames there are.
  if (Status s = RenderFrameZero(job, object, progress); !s.ok()) return s.error();
  if (Status s = CheckFrameCount(progress.object_frames.value_or(0)); !s.ok()) return s.error();
  const int64_t rest = progress.object_frames.value_or(0) - 1;
  if (rest <= 0) return std::move(progress.frames);

  const std::vector<size_t> slots =
      Acquire(job.hospital,
              static_cast<size_t>(std::min<int64_t>(rest, static_cast<int64_t>(slots_.size()))));
  const auto parts = static_cast<int64_t>(slots.size());
  std::vector<Chunk> chunks(slots.size());
  for (int64_t i = 0; i < parts; ++i) {
    const int64_t begin = 1 + rest * i / parts;
    chunks[i].slot = slots[i];
    chunks[i].request = {job.max_side, begin, 1 + rest * (i + 1) / parts - begin};
  }
  RunChunks(job, object, chunks, progress);
  Release(slots);
  if (progress.over_budget) return *progress.over_budget;
  for (Chunk& chunk : chunks) {
    if (Status s = Collect(chunk, progress.frames); !s.ok()) return s.error();
  }
  return std::move(progress.frames);
}

}  // namespace pacsport::preview
