// PreviewPool: renders previews in a pool of worker processes, so that hostile
// pixel data can at worst take down a worker, never the server.
//
// Decoding untrusted pixel data is where DICOM toolkits have their crash and
// overflow bugs, so none of it runs in the server: every request goes to a worker
// process (WorkerProcess) under a memory limit and a CPU-time allowance per frame.
// A worker that crashes, exceeds a limit, stalls or breaks the protocol is killed;
// the frame it was rendering gets an error naming what happened; a new worker takes
// its place on the next request.
//
// The frames of a multi-frame object are spread over the workers that are idle: the
// first worker renders frame 0 and reports how many frames there are, then the
// rest is split in contiguous ranges. An object never waits for more than one
// worker, so busy exports share the pool fairly.
// Thread-safe: any number of threads may call Render; each blocks until a worker is
// free. Destroying the pool kills its workers; no Render may be running then.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "dicom/frame_renderer.h"
#include "preview/shared_object.h"

namespace pacsport::preview {

class WorkerProcess;

struct PreviewPoolSettings {
  std::filesystem::path worker_executable;  // pacsport-preview-worker
  size_t workers = 0;                       // 0: one per core
  uint64_t memory_limit_bytes = uint64_t{1} << 30;  // address space per worker; 0: none
  std::chrono::seconds frame_cpu_limit{10};         // CPU time per frame
};

// pacsport-preview-worker in the directory of the running executable.
std::filesystem::path DefaultWorkerExecutable();

class PreviewPool {
 public:
  // kInvalidInput when the worker executable is missing or not executable. In a
  // build with AddressSanitizer, whose shadow memory needs terabytes of address
  // space, the memory limit is not applied.
  static Result<std::unique_ptr<PreviewPool>> Create(const PreviewPoolSettings& settings);
  ~PreviewPool();
  PreviewPool(const PreviewPool&) = delete;
  PreviewPool& operator=(const PreviewPool&) = delete;

  // dicom::RenderFrames in the workers: every frame's PNG in frame order, or the
  // error of the first frame that failed, which may also be "frame 3: rendering
  // crashed (SIGSEGV)", "... exceeded its CPU time", "... ran out of memory",
  // "... stalled" or "... preview worker broke the protocol".
  Result<std::vector<dicom::FramePng>> Render(std::string_view object, uint32_t max_side);
  // The same for an object behind a descriptor (one too large to hold in memory).
  // kInvalidInput when it is at least as large as a worker's memory limit.
  Result<std::vector<dicom::FramePng>> Render(const SharedObject& object, uint32_t max_side);
  // Frame 0 alone, as Render would give it (a thumbnail); kInvalidInput when the
  // object has no image.
  Result<dicom::FramePng> RenderFirstFrame(std::string_view object, uint32_t max_side);

  size_t size() const { return slots_.size(); }
  // The limits in force (the memory limit is 0 when none is applied).
  const PreviewPoolSettings& settings() const { return settings_; }

 private:
  struct Chunk;
  explicit PreviewPool(const PreviewPoolSettings& settings);

  // Takes between 1 and `wanted` idle slots, waiting for the first.
  // Renders frame 0 into `frames` and tells how many frames the object has.
  Status RenderFrameZero(const SharedObject& object, uint32_t max_side,
                         std::vector<dicom::FramePng>& frames, int64_t& object_frames);
  std::vector<size_t> Acquire(size_t wanted);
  void Release(const std::vector<size_t>& slots);
  // Sends each chunk's request, then reads every reply until each chunk is done.
  void RunChunks(const SharedObject& object, std::vector<Chunk>& chunks);
  void Fail(Chunk& chunk, const std::string& what);
  // Appends the frames of `chunk` to `frames`, unless it failed or came back short.
  static Status Collect(Chunk& chunk, std::vector<dicom::FramePng>& frames);

  const PreviewPoolSettings settings_;
  std::mutex mutex_;
  std::condition_variable released_;
  // One per worker; null until first used, and again after its worker was killed.
  std::vector<std::unique_ptr<WorkerProcess>> slots_;
  std::vector<bool> busy_;  // guarded by mutex_; slots_[i] is used only by its holder
};

}  // namespace pacsport::preview
