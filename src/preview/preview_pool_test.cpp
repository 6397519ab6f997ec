// PreviewPool with the real worker on the pydicom corpus, and with a misbehaving
// worker for the faults no honest input can cause.
#include "preview/preview_pool.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "dicom/frame_renderer.h"
#include "tests/support/temp_dir.h"

namespace pacsport::preview {
namespace {

using testing::CorpusFile;
using testing::ReadFile;

std::unique_ptr<PreviewPool> MakePool(const char* executable, size_t workers,
                                      std::chrono::seconds frame_cpu = std::chrono::seconds(10),
                                      uint64_t memory = uint64_t{1} << 30) {
  auto pool = PreviewPool::Create({executable, workers, memory, frame_cpu});
  EXPECT_TRUE(pool.ok()) << pool.error().message();
  return pool.ok() ? std::move(pool).value() : nullptr;
}

// Children of this process that have not been reaped, zombies included.
std::vector<std::filesystem::path> ChildProcesses() {
  std::vector<std::filesystem::path> children;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line) || line.rfind(')') == std::string::npos) continue;
    std::istringstream fields(line.substr(line.rfind(')') + 2));
    std::string state;
    pid_t parent = 0;
    if (fields >> state >> parent && parent == ::getpid()) children.push_back(entry.path());
  }
  return children;
}

// The "Seccomp:" line of /proc/PID/status: 2 when a filter is installed.
std::string SeccompMode(const std::filesystem::path& process) {
  std::ifstream status(process / "status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("Seccomp:", 0) == 0) return line.substr(line.find_last_of(" \t") + 1);
  }
  return "";
}

void ExpectSameFrames(const std::vector<dicom::FramePng>& expected,
                      const std::vector<dicom::FramePng>& actual, const std::string& name) {
  ASSERT_EQ(actual.size(), expected.size()) << name;
  for (size_t k = 0; k < expected.size(); ++k) {
    EXPECT_EQ(actual[k].width, expected[k].width) << name << " frame " << k;
    EXPECT_EQ(actual[k].height, expected[k].height) << name << " frame " << k;
    EXPECT_TRUE(actual[k].png == expected[k].png) << name << " frame " << k;
  }
}

TEST(PreviewPoolTest, RefusesAMissingWorker) {
  auto pool = PreviewPool::Create({"/nonexistent/pacsport-preview-worker"});
  ASSERT_FALSE(pool.ok());
  EXPECT_EQ(pool.error().code(), ErrorCode::kInvalidInput);
}

TEST(PreviewPoolTest, RendersTheCorpusAsTheRendererDoes) {
  auto pool = MakePool(PACSPORT_PREVIEW_WORKER, 2);
  ASSERT_TRUE(pool);
  int rendered = 0, refused = 0;
  for (const auto& entry : std::filesystem::directory_iterator(CorpusFile(""))) {
    if (entry.path().extension() != ".dcm") continue;
    const std::string name = entry.path().filename().string();
    const std::string bytes = ReadFile(entry.path());
    auto expected = dicom::RenderFrames(bytes, 64);
    auto actual = pool->Render(bytes, 64);
    ASSERT_EQ(actual.ok(), expected.ok()) << name << ": " << (actual.ok() ? "" : actual.error().message());
    if (!expected.ok()) {
      EXPECT_EQ(actual.error().message(), expected.error().message()) << name;
      ++refused;
      continue;
    }
    ExpectSameFrames(*expected, *actual, name);
    ++rendered;
  }
  EXPECT_GT(rendered, 40);
  EXPECT_GT(refused, 5);
  ASSERT_EQ(ChildProcesses().size(), 2u);
  for (const auto& worker : ChildProcesses()) {
#if defined(__SANITIZE_ADDRESS__)
    EXPECT_EQ(SeccompMode(worker), "0") << "sanitizer builds run without the filter";
#else
    EXPECT_EQ(SeccompMode(worker), "2") << "workers run under a seccomp filter";
#endif
  }
}

TEST(PreviewPoolTest, SpreadsTheFramesOfOneObjectOverTheWorkers) {
  for (const char* name : {"rtdose.dcm", "rtdose_rle.dcm", "SC_rgb_rle_2frame.dcm"}) {
    const std::string bytes = ReadFile(CorpusFile(name));
    auto expected = dicom::RenderFrames(bytes);
    ASSERT_TRUE(expected.ok()) << name;
    ASSERT_GT(expected->size(), 1u) << name;
    for (size_t workers : {1, 2, 3, 16}) {
      auto pool = MakePool(PACSPORT_PREVIEW_WORKER, workers);
      ASSERT_TRUE(pool);
      auto actual = pool->Render(bytes, 0);
      ASSERT_TRUE(actual.ok()) << name << ": " << actual.error().message();
      ExpectSameFrames(*expected, *actual, name);
    }
  }
}

TEST(PreviewPoolTest, RendersAnObjectSpooledToATemporaryFile) {
  auto pool = MakePool(PACSPORT_PREVIEW_WORKER, 2);
  ASSERT_TRUE(pool);
  const std::string bytes = ReadFile(CorpusFile("rtdose.dcm"));
  auto writer = SharedObjectWriter::Create(std::filesystem::temp_directory_path());
  ASSERT_TRUE(writer.ok()) << writer.error().message();
  for (size_t at = 0; at < bytes.size(); at += 1000) {
    ASSERT_TRUE(writer->Append(std::string_view(bytes).substr(at, 1000)).ok());
  }
  auto object = writer->Finish();
  ASSERT_TRUE(object.ok()) << object.error().message();
  EXPECT_EQ(object->size(), bytes.size());
  auto expected = dicom::RenderFrames(bytes);
  auto actual = pool->Render(*object, 0);
  ASSERT_TRUE(actual.ok()) << actual.error().message();
  ExpectSameFrames(*expected, *actual, "rtdose.dcm");
}

TEST(PreviewPoolTest, RefusesAnObjectAsLargeAsAWorkersMemory) {
  auto pool = MakePool(PACSPORT_PREVIEW_WORKER, 1, std::chrono::seconds(10), uint64_t{1} << 20);
  ASSERT_TRUE(pool);
  if (pool->settings().memory_limit_bytes == 0) {
    GTEST_SKIP() << "sanitizer builds apply no memory limit (decision 0005)";
  }
  auto frames = pool->Render(std::string(2 << 20, 'x'), 0);
  ASSERT_FALSE(frames.ok());
  EXPECT_EQ(frames.error().message(),
            "file of 2 MiB: larger than a preview worker's memory limit of 1 MiB");
  EXPECT_TRUE(ChildProcesses().empty()) << "refused before any worker started";
}

TEST(PreviewPoolTest, ServesManyThreadsAtOnce) {
  auto pool = MakePool(PACSPORT_PREVIEW_WORKER, 2);
  ASSERT_TRUE(pool);
  const std::string ct = ReadFile(CorpusFile("CT_small.dcm"));
  const std::string mr = ReadFile(CorpusFile("rtdose.dcm"));
  const auto ct_expected = dicom::RenderFrames(ct);
  const auto mr_expected = dicom::RenderFrames(mr);
  std::vector<std::jthread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        const bool use_ct = (t + i) % 2 == 0;
        auto frames = pool->Render(use_ct ? ct : mr, 0);
        const auto& expected = use_ct ? *ct_expected : *mr_expected;
        if (!frames.ok() || frames->size() != expected.size() ||
            frames->back().png != expected.back().png) {
          ++failures;
        }
      }
    });
  }
  threads.clear();
  EXPECT_EQ(failures.load(), 0);
}

// What the misbehaving worker is asked to do, and the error the frame must get.
struct Fault {
  const char* behaviour;
  const char* error;
};

// AddressSanitizer catches the SIGSEGV, reports it, and aborts (abort_on_error=1 in
// scripts/test.sh).
#if defined(__SANITIZE_ADDRESS__)
constexpr const char* kCrashed = "frame 0: rendering crashed (SIGABRT)";
#else
constexpr const char* kCrashed = "frame 0: rendering crashed (SIGSEGV)";
#endif

TEST(PreviewPoolTest, KillsAndReplacesAWorkerThatMisbehaves) {
  auto pool = MakePool(PACSPORT_MISBEHAVING_WORKER, 1, std::chrono::seconds(1));
  ASSERT_TRUE(pool);
  for (const Fault& fault : {Fault{"crash", kCrashed},
                             Fault{"spin", "frame 0: rendering exceeded its CPU time"},
                             Fault{"sleep", "frame 0: rendering stalled for more than 4 s"},
                             Fault{"exit", "frame 0: rendering exited with status 7"},
                             Fault{"garbage", "frame 0: preview worker broke the protocol"},
                             Fault{"not-png", "frame 0: preview worker broke the protocol"},
                             Fault{"extra-frames", "frame 1: preview worker broke the protocol"},
                             Fault{"nothing", "frame 0: preview worker broke the protocol"}}) {
    const auto started = std::chrono::steady_clock::now();
    auto frames = pool->Render(fault.behaviour, 0);
    ASSERT_FALSE(frames.ok()) << fault.behaviour;
    EXPECT_EQ(frames.error().message(), fault.error) << fault.behaviour;
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(8))
        << fault.behaviour;
    EXPECT_LE(ChildProcesses().size(), 1u) << fault.behaviour;
  }
}

TEST(PreviewPoolTest, StartsANewWorkerAfterOneDied) {
  auto pool = MakePool(PACSPORT_MISBEHAVING_WORKER, 1);
  ASSERT_TRUE(pool);
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(pool->Render("crash", 0).ok());
    auto frames = pool->Render("one-frame", 0);
    ASSERT_TRUE(frames.ok()) << frames.error().message();
    EXPECT_EQ(frames->size(), 1u);
  }
  EXPECT_LE(ChildProcesses().size(), 1u);
}

}  // namespace
}  // namespace pacsport::preview
