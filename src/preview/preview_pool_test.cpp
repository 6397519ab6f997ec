// PreviewPool with the real worker on the pydicom corpus, and with a misbehaving
// worker for the faults no honest input can cause.
#include "preview/preview_pool.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "dicom/frame_renderer.h"
#include "tests/support/temp_dir.h"

namespace pacsport::preview {
namespace {

using testing::CorpusFile;
using testing::ReadFile;

constexpr RowId kHospital = 1;

std::unique_ptr<PreviewPool> MakePool(const PreviewPoolSettings& settings) {
  auto pool = PreviewPool::Create(settings);
  EXPECT_TRUE(pool.ok()) << pool.error().message();
  return pool.ok() ? std::move(pool).value() : nullptr;
}

std::unique_ptr<PreviewPool> MakePool(const char* executable, size_t workers,
                                      std::chrono::seconds frame_cpu = std::chrono::seconds(10),
                                      uint64_t memory = uint64_t{1} << 30) {
  return MakePool({executable, workers, memory, frame_cpu});
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
    auto actual = pool->Render({kHospital, 64, std::nullopt}, bytes);
    ASSERT_EQ(actual.ok(), expected.ok())
        << name << ": " << (actual.ok() ? "" : actual.error().message());
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
      auto actual = pool->Render({kHospital, 0, std::nullopt}, bytes);
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
  auto actual = pool->Render({kHospital, 0, std::nullopt}, *object);
  ASSERT_TRUE(actual.ok()) << actual.error().message();
  ExpectSameFrames(*expected, *actual, "rtdose.dcm");
}

TEST(PreviewPoolTest, RefusesAnObjectAsLargeAsAWorkersMemory) {
  auto pool = MakePool(PACSPORT_PREVIEW_WORKER, 1, std::chrono::seconds(10), uint64_t{1} << 20);
  ASSERT_TRUE(pool);
  if (pool->settings().memory_limit_bytes == 0) {
    GTEST_SKIP() << "sanitizer builds apply no memory limit (decision 0005)";
  }
  auto frames = pool->Render({kHospital, 0, std::nullopt}, std::string(2 << 20, 'x'));
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
        auto frames = pool->Render({kHospital, 0, std::nullopt}, use_ct ? ct : mr);
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
  for (const Fault& fault :
       {Fault{"crash", kCrashed}, Fault{"spin", "frame 0: rendering exceeded its CPU time"},
        Fault{"sleep", "frame 0: rendering stalled for more than 4 s"},
        Fault{"exit", "frame 0: rendering exited with status 7"},
        Fault{"garbage", "frame 0: preview worker broke the protocol"},
        Fault{"not-png", "frame 0: preview worker broke the protocol"},
        Fault{"extra-frames", "frame 1: preview worker broke the protocol"},
        Fault{"nothing", "frame 0: preview worker broke the protocol"}}) {
    const auto started = std::chrono::steady_clock::now();
    auto frames = pool->Render({kHospital, 0, std::nullopt}, fault.behaviour);
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
    EXPECT_FALSE(pool->Render({kHospital, 0, std::nullopt}, "crash").ok());
    auto frames = pool->Render({kHospital, 0, 1}, "one-frame");
    ASSERT_TRUE(frames.ok()) << frames.error().message();
    EXPECT_EQ(frames->size(), 1u);
  }
  EXPECT_LE(ChildProcesses().size(), 1u);
}

// The error message a misbehaving worker answers with.
std::string Answer(PreviewPool& pool, RowId hospital, std::string_view behaviour) {
  auto answer = pool.Render({hospital, 0, std::nullopt}, behaviour);
  return answer.ok() ? "rendered" : answer.error().message();
}

TEST(PreviewPoolTest, RefusesMoreFramesThanTheLimitBeforeAnyWorkerSeesThem) {
  PreviewPoolSettings settings{PACSPORT_MISBEHAVING_WORKER, 1};
  settings.max_frames_per_instance = 10;
  auto pool = MakePool(settings);
  ASSERT_TRUE(pool);
  // A few bytes of crafted object whose NumberOfFrames, as the server parsed it, is huge.
  auto frames = pool->Render({kHospital, 0, 10'000'000}, "frames 10000000 100 10000000");
  ASSERT_FALSE(frames.ok());
  EXPECT_EQ(frames.error().message(), "10000000 frames: over preview.max_frames_per_instance (10)");
  EXPECT_TRUE(ChildProcesses().empty()) << "refused before any worker started";
  // A cine one frame over the limit, and one at it.
  EXPECT_EQ(pool->Render({kHospital, 0, 11}, "frames 11 100 11").error().message(),
            "11 frames: over preview.max_frames_per_instance (10)");
  auto at_limit = pool->Render({kHospital, 0, 10}, "frames 10 100 10");
  ASSERT_TRUE(at_limit.ok()) << at_limit.error().message();
  EXPECT_EQ(at_limit->size(), 10u);
}

TEST(PreviewPoolTest, ChecksTheWorkersFrameCountAgainstTheServers) {
  PreviewPoolSettings settings{PACSPORT_MISBEHAVING_WORKER, 2};
  settings.max_frames_per_instance = 10;
  auto pool = MakePool(settings);
  ASSERT_TRUE(pool);
  // Frame 0's worker claims a million frames of a one-frame object: before, the pool
  // believed it and asked for them all.
  auto inflated = pool->Render({kHospital, 0, 1}, "frames 1 100 1000000");
  ASSERT_FALSE(inflated.ok());
  EXPECT_EQ(inflated.error().message(), "preview worker reported 1000000 frames, the object has 1");
  auto deflated = pool->Render({kHospital, 0, 5}, "frames 3 100 3");
  ASSERT_FALSE(deflated.ok());
  EXPECT_EQ(deflated.error().message(), "preview worker reported 3 frames, the object has 5");
  // Where the server has not parsed the object (pacsport preview), the worker's count
  // is held to the limit.
  EXPECT_EQ(Answer(*pool, kHospital, "frames 1 100 1000000"),
            "1000000 frames: over preview.max_frames_per_instance (10)");
  // Frames of one object of different sizes, or a PNG of another size than said.
  EXPECT_EQ(pool->Render({kHospital, 0, 3}, "growing").error().message(),
            "frame 1: preview worker broke the protocol");
  EXPECT_LE(ChildProcesses().size(), 2u) << "lying workers were ended";
  auto honest = pool->Render({kHospital, 0, 7}, "frames 7 100 7");
  ASSERT_TRUE(honest.ok()) << honest.error().message();
  EXPECT_EQ(honest->size(), 7u);
}

TEST(PreviewPoolTest, StopsAnObjectWhosePreviewsOutgrowTheLimit) {
  PreviewPoolSettings settings{PACSPORT_MISBEHAVING_WORKER, 2};
  settings.max_bytes_per_instance = uint64_t{1} << 20;
  auto pool = MakePool(settings);
  ASSERT_TRUE(pool);
  // 16 frames of 64 KiB fit in 1 MiB; 40 do not, and no more than the limit is held.
  auto fits = pool->Render({kHospital, 0, 16}, "frames 16 65536 16");
  ASSERT_TRUE(fits.ok()) << fits.error().message();
  EXPECT_EQ(fits->size(), 16u);
  auto over = pool->Render({kHospital, 0, 40}, "frames 40 65536 40");
  ASSERT_FALSE(over.ok());
  EXPECT_TRUE(std::regex_match(
      over.error().message(),
      std::regex(R"(frame \d+: previews over preview\.max_bytes_per_instance_mb \(1 MiB\))")))
      << over.error().message();
  EXPECT_LE(ChildProcesses().size(), 2u);
}

// What a worker that a crafted file has taken over finds: the real worker's filter
// (ConfineToRendering) and the descriptors and environment WorkerProcess gives it.
TEST(PreviewPoolTest, ConfinesAWorkerTakenOverByACraftedFile) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "sanitizer builds run without the filter (decision 0005)";
#endif
  ::setenv("PACSPORT_JWT_SECRET", "a secret the workers must never see", 1);
  const int leaked = ::open("/dev/null", O_RDONLY);  // not close-on-exec
  auto pool = MakePool(PACSPORT_MISBEHAVING_WORKER, 1);
  ASSERT_TRUE(pool);
  const std::string probe = Answer(*pool, kHospital, "probe");
  ::close(leaked);
  ::unsetenv("PACSPORT_JWT_SECRET");
  EXPECT_EQ(probe,
            "environment= descriptors=0,1,2 open=EPERM openat=EPERM stat=EPERM access=EPERM "
            "readlink=EPERM kill-server=EPERM tgkill-server=EPERM tkill-server=EPERM "
            "kill-group=EPERM kill-self=OK tgkill-self=OK");
}

TEST(PreviewPoolTest, RelaysAWorkersStderrEscapedIntoTheLog) {
  std::ostringstream log;
  auto previous = spdlog::default_logger();
  auto capture = std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
  capture->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ level=%l %v", spdlog::pattern_time_type::utc);
  spdlog::set_default_logger(capture);
  {
    auto pool = MakePool(PACSPORT_MISBEHAVING_WORKER, 1);
    ASSERT_TRUE(pool);
    EXPECT_EQ(Answer(*pool, kHospital, "forge-log"), "forged");
  }  // ends the worker: whatever it wrote is relayed by now
  spdlog::set_default_logger(previous);

  std::istringstream lines(log.str());
  int relayed = 0;
  for (std::string line; std::getline(lines, line);) {
    EXPECT_TRUE(std::regex_search(
        line, std::regex(R"(^\S+Z level=warning event=preview_worker_stderr pid=\d+ line=")")))
        << line;
    EXPECT_FALSE(line.starts_with("2026-12-03T09:00:00.000Z")) << "a forged line: " << line;
    ++relayed;
  }
  EXPECT_EQ(relayed, 2);
  EXPECT_NE(log.str().find(R"(line="2026-12-03T09:00:00.000Z level=info event=login user=admin")"),
            std::string::npos)
      << log.str();
  EXPECT_NE(log.str().find(
                R"(line="partial\x0d2026-12-03T09:00:00.000Z level=info event=forged\x1b[2K")"),
            std::string::npos)
      << log.str();
}

TEST(PreviewPoolTest, NeverLendsAWorkerToAnotherHospital) {
  auto pid_of = [](const std::string& answer) {
    EXPECT_TRUE(answer.starts_with("pid=")) << answer;
    return static_cast<pid_t>(std::stol(answer.substr(4)));
  };
  {
    auto pool = MakePool(PACSPORT_MISBEHAVING_WORKER, 1);
    ASSERT_TRUE(pool);
    const pid_t a = pid_of(Answer(*pool, 1, "pid"));
    EXPECT_EQ(pid_of(Answer(*pool, 1, "pid")), a) << "a worker keeps serving its hospital";
    const pid_t b = pid_of(Answer(*pool, 2, "pid"));
    EXPECT_NE(b, a) << "hospital 2 got hospital 1's worker";
    EXPECT_NE(::kill(a, 0), 0) << "the worker of hospital 1 was retired and reaped";
    EXPECT_NE(pid_of(Answer(*pool, 1, "pid")), b);
    EXPECT_EQ(ChildProcesses().size(), 1u);
  }
  // With a free slot, another hospital starts a worker of its own instead.
  auto pool = MakePool(PACSPORT_MISBEHAVING_WORKER, 2);
  ASSERT_TRUE(pool);
  const pid_t a = pid_of(Answer(*pool, 1, "pid"));
  const pid_t b = pid_of(Answer(*pool, 2, "pid"));
  EXPECT_NE(a, b);
  EXPECT_EQ(pid_of(Answer(*pool, 1, "pid")), a);
  EXPECT_EQ(pid_of(Answer(*pool, 2, "pid")), b);
}

}  // namespace
}  // namespace pacsport::preview
