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
//
// A worker is untrusted, and its answers are checked against what the server knows
// (RenderJob): the frame count the server parsed, one size for every frame of an
// object (that of the PNG it sent, within max_side), and the limits of the settings:
// an object with more frames than max_frames_per_instance is refused before any
// worker sees it, and one whose PNGs add up to more than max_bytes_per_instance is
// stopped there (its workers killed), so the PNGs held for one object stay bounded.
// A worker never renders for two hospitals: a worker that served one hospital is
// retired (ended, and a fresh one started) before it renders for another, so a
// worker taken over by one hospital's crafted file never sees another's pixels.
// Thread-safe: any number of threads may call Render; each blocks until a worker is
// free. Destroying the pool kills its workers; no Render may be running then.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/records.h"
#include "dicom/frame_renderer.h"
#include "preview/shared_object.h"

namespace pacsport::preview {

class WorkerProcess;
struct Reply;

struct PreviewPoolSettings {
  std::filesystem::path worker_executable;                // pacsport-preview-worker
  size_t workers = 0;                                     // 0: one per core
  uint64_t memory_limit_bytes = uint64_t{1} << 30;        // address space per worker; 0: none
  std::chrono::seconds frame_cpu_limit{10};               // CPU time per frame
  int64_t max_frames_per_instance = 10000;                // more: no previews
  uint64_t max_bytes_per_instance = uint64_t{128} << 20;  // PNG bytes of one object
  // PNG bytes of one export: enforced by the packager (export/packager.h), which
  // reads it here with the other preview limits.
  uint64_t max_bytes_per_export = uint64_t{2048} << 20;
};

// What the server knows of one object to render, against which the workers'
// answers are checked.
struct RenderJob {
  RowId hospital = 0;     // whose object it is: only workers of this hospital render it
  uint32_t max_side = 0;  // as for dicom::RenderFrames
  // NumberOfFrames as the server parsed it (the index's), which every worker must
  // report; nullopt when the server has not parsed the object (`pacsport preview`):
  // the count frame 0's worker reports is then checked against the limit instead.
  std::optional<int64_t> frames;
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
  // "... stalled" or "... preview worker broke the protocol"; or a limit:
  // "20000 frames: over preview.max_frames_per_instance (10000)", "frame 812: previews
  // over preview.max_bytes_per_instance_mb (128 MiB)"; or a worker that disagrees
  // with the server: "preview worker reported 7 frames, the object has 3". All
  // kInvalidInput.
  Result<std::vector<dicom::FramePng>> Render(const RenderJob& job, std::string_view object);
  // The same for an object behind a descriptor (one too large to hold in memory).
  // kInvalidInput when it is at least as large as a worker's memory limit.
  Result<std::vector<dicom::FramePng>> Render(const RenderJob& job, const SharedObject& object);
  // Frame 0 alone, as Render would give it (a thumbnail); kInvalidInput when the
  // object has no image.
  Result<dicom::FramePng> RenderFirstFrame(const RenderJob& job, std::string_view object);

  size_t size() const { return slots_.size(); }
  // The limits in force (the memory limit is 0 when none is applied).
  const PreviewPoolSettings& settings() const { return settings_; }

 private:
  struct Chunk;
  struct Progress;
  explicit PreviewPool(const PreviewPoolSettings& settings);

  // Renders frame 0 into `progress` and learns how many frames the object has.
  Status RenderFrameZero(const RenderJob& job, const SharedObject& object, Progress& progress);
  // Takes between 1 and `wanted` idle slots, waiting for the first; those whose
  // worker serves `hospital` first, then empty ones, then others (to be retired).
  std::vector<size_t> Acquire(RowId hospital, size_t wanted);
  void Release(const std::vector<size_t>& slots);
  // Sends each chunk's request, then reads every reply until each chunk is done.
  void RunChunks(const RenderJob& job, const SharedObject& object, std::vector<Chunk>& chunks,
                 Progress& progress);
  // Checks one frame a worker sent; false when it breaks the protocol.
  bool Accept(const Reply& frame, const RenderJob& job, Chunk& chunk, Progress& progress) const;
  // Ends the chunk's worker and fails the chunk with `error`.
  void Kill(Chunk& chunk, Error error);
  // Kill, naming the frame: "frame K: " + `what`, or "frame K: rendering " + how the
  // worker ended when `what` is empty.
  void Fail(Chunk& chunk, const std::string& what);
  // kInvalidInput naming the limit when `frames` is over max_frames_per_instance.
  Status CheckFrameCount(int64_t frames) const;
  // Appends the frames of `chunk` to `frames`, unless it failed or came back short.
  static Status Collect(Chunk& chunk, std::vector<dicom::FramePng>& frames);

  const PreviewPoolSettings settings_;
  std::mutex mutex_;
  std::condition_variable released_;
  // One per worker; null until first used, and again after its worker was killed.
  std::vector<std::unique_ptr<WorkerProcess>> slots_;
  // The hospital each slot's worker has rendered for (meaningless while it is null).
  std::vector<RowId> served_;
  std::vector<bool> busy_;  // guarded by mutex_; slots_[i] and served_[i] are used
                            // only by the holder of slot i, or under mutex_ when idle
};

}  // namespace pacsport::preview
