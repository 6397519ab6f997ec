// preview: every frame of every given file rendered to PNG by the worker pool, as
// exports render them; files in parallel, timed.
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <tbb/parallel_for_each.h>
#include <tbb/task_arena.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <numeric>

#include "app/commands.h"
#include "app/local_file.h"
#include "preview/preview_pool.h"

namespace pacsport {
namespace fs = std::filesystem;
namespace {

// What became of one input file; filled by exactly one task.
struct FileOutcome {
  size_t frames = 0;
  uint64_t png_bytes = 0;
  std::string no_preview;   // why the file has no preview; empty if it rendered
  std::string write_error;  // the PNG that could not be written; empty if none
};

FileOutcome RenderFile(const fs::path& file, preview::PreviewPool& pool,
                       const PreviewOptions& options) {
  FileOutcome outcome;
  auto bytes = ReadLocalFile(file);
  // One local user: every file in the workers of one (notional) hospital.
  auto frames = bytes.ok() ? pool.Render({0, options.size, std::nullopt}, *bytes)
                           : Result<std::vector<dicom::FramePng>>(bytes.error());
  if (!frames.ok()) {
    outcome.no_preview = frames.error().message();
    return outcome;
  }
  outcome.frames = frames->size();
  for (size_t k = 0; k < frames->size(); ++k) {
    const std::string& png = (*frames)[k].png;
    outcome.png_bytes += png.size();
    if (!options.out) continue;
    const fs::path target =
        *options.out / (file.stem().string() + "_frame_" + std::to_string(k) + ".png");
    if (!WriteLocalFile(target, png).ok()) {
      outcome.write_error = target.string();
      break;
    }
  }
  return outcome;
}

// With --out, two inputs of the same stem would overwrite each other's PNGs.
std::string DuplicateStem(const std::vector<std::string>& files) {
  std::map<std::string, const std::string*> seen;
  for (const std::string& file : files) {
    auto [it, added] = seen.emplace(fs::path(file).stem().string(), &file);
    if (!added) return *it->second + " and " + file;
  }
  return {};
}

}  // namespace

int RunPreview(const PreviewOptions& options) {
  // stdout holds the report: log records (a preview worker's stderr) go to stderr.
  spdlog::set_default_logger(spdlog::stderr_logger_mt("preview"));
  if (options.out) {
    if (std::string both = DuplicateStem(options.files); !both.empty()) {
      return Fail("--out: " + both + " would write the same PNG names");
    }
    std::error_code ec;
    fs::create_directories(*options.out, ec);
    if (ec) return Fail("cannot create " + options.out->string() + ": " + ec.message());
  }
  auto pool = preview::PreviewPool::Create(
      {preview::DefaultWorkerExecutable(), static_cast<size_t>(options.workers)});
  if (!pool.ok()) return Fail(pool.error());
  const auto threads = static_cast<int>((*pool)->size());
  std::vector<FileOutcome> outcomes(options.files.size());
  std::vector<size_t> indices(options.files.size());
  std::iota(indices.begin(), indices.end(), size_t{0});

  const auto start = std::chrono::steady_clock::now();
  tbb::task_arena arena(threads);
  arena.execute([&] {
    tbb::parallel_for_each(indices.begin(), indices.end(), [&](size_t i) {
      outcomes[i] = RenderFile(options.files[i], **pool, options);
    });
  });
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const size_t workers = (*pool)->size();
  pool->reset();  // ends and reaps the workers, so that their peak memory is known

  size_t frames = 0, rendered = 0;
  uint64_t png_bytes = 0;
  for (size_t i = 0; i < outcomes.size(); ++i) {
    const FileOutcome& outcome = outcomes[i];
    if (!outcome.write_error.empty()) return Fail("cannot write " + outcome.write_error);
    if (!outcome.no_preview.empty()) {
      std::cerr << "no preview " << options.files[i] << ": " << outcome.no_preview << "\n";
      continue;
    }
    ++rendered;
    frames += outcome.frames;
    png_bytes += outcome.png_bytes;
  }
  char rate[64];
  std::snprintf(rate, sizeof rate, "%.3f s (%.1f frames/s)", seconds,
                seconds > 0 ? static_cast<double>(frames) / seconds : 0.0);
  rusage self{}, children{};
  ::getrusage(RUSAGE_SELF, &self);
  ::getrusage(RUSAGE_CHILDREN, &children);
  std::cout << "rendered " << frames << " frames of " << rendered << " files in " << rate << ", "
            << png_bytes << " bytes of PNG; peak RSS " << self.ru_maxrss / 1024
            << " MB here, at most " << children.ru_maxrss / 1024 << " MB in each of " << workers
            << " workers\n";
  // 2, as for import: the run went through but some files have no preview.
  return rendered < outcomes.size() ? 2 : 0;
}

}  // namespace pacsport
