#include "core/metrics.h"

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <thread>
#include <vector>

#include "core/clock.h"

namespace pacsport {
namespace {

using namespace std::chrono_literals;

// The samples of an exposition, "name{labels}" -> value; every other line must be a
// HELP or TYPE comment.
std::map<std::string, double> Samples(const std::string& text) {
  std::map<std::string, double> samples;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    if (line.starts_with("#")) {
      EXPECT_TRUE(line.starts_with("# HELP ") || line.starts_with("# TYPE ")) << line;
      continue;
    }
    const size_t space = line.rfind(' ');
    EXPECT_NE(space, std::string::npos) << line;
    samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return samples;
}

TEST(MetricsTest, DeclaresEveryFamilyWithItsType) {
  const std::string text = Metrics("1.2.3").Text();
  for (const char* declared :
       {"# TYPE pacsport_exports_running gauge", "# TYPE pacsport_jobs_queued gauge",
        "# TYPE pacsport_jobs_running gauge", "# TYPE process_start_time_seconds gauge",
        "# TYPE pacsport_build_info gauge"}) {
    EXPECT_NE(text.find(declared), std::string::npos) << declared << "\n" << text;
  }
  const auto samples = Samples(text);
  EXPECT_EQ(samples.at(R"(pacsport_exports_running{kind="direct"})"), 0);
  EXPECT_EQ(samples.at(R"(pacsport_exports_running{kind="job"})"), 0);
  EXPECT_EQ(samples.at(R"(pacsport_build_info{version="1.2.3"})"), 1);
  const double now = static_cast<double>(UnixSeconds(std::chrono::system_clock::now()));
  EXPECT_NEAR(samples.at("process_start_time_seconds"), now, 5);
}

TEST(MetricsTest, CountsExportsByOutcomeWithBytesAndDurations) {
  Metrics metrics("test");
  metrics.ExportBegan(ExportKind::kDirect);
  metrics.ExportBegan(ExportKind::kDirect);
  metrics.ExportEnded(ExportKind::kDirect);
  metrics.ExportFinished({ExportKind::kDirect, "success", "study", "zip", 1000, 0.07s});
  metrics.ExportFinished({ExportKind::kDirect, "success", "study", "zip", 24, 2s});
  metrics.ExportFinished({ExportKind::kDirect, "denied", "", "", 0, std::nullopt});
  metrics.ExportFinished({ExportKind::kJob, "failed", "patient", "zip", 5, 20000s});

  const std::string text = metrics.Text();
  EXPECT_NE(text.find("# TYPE pacsport_exports_finished_total counter"), std::string::npos);
  EXPECT_NE(text.find("# TYPE pacsport_export_duration_seconds histogram"), std::string::npos);
  const auto samples = Samples(text);
  EXPECT_EQ(samples.at(R"(pacsport_exports_running{kind="direct"})"), 1);
  EXPECT_EQ(
      samples.at(
          R"(pacsport_exports_finished_total{format="zip",kind="direct",outcome="success",scope="study"})"),
      2);
  // A request that did not parse has neither scope nor format.
  EXPECT_EQ(
      samples.at(
          R"(pacsport_exports_finished_total{format="unknown",kind="direct",outcome="denied",scope="unknown"})"),
      1);
  EXPECT_EQ(samples.at(R"(pacsport_export_sent_bytes_total{kind="direct"})"), 1024);
  EXPECT_EQ(samples.at(R"(pacsport_export_sent_bytes_total{kind="job"})"), 5);
  // Buckets are cumulative; the refusal has no duration.
  EXPECT_EQ(samples.at(R"(pacsport_export_duration_seconds_bucket{kind="direct",le="0.05"})"), 0);
  EXPECT_EQ(samples.at(R"(pacsport_export_duration_seconds_bucket{kind="direct",le="0.1"})"), 1);
  EXPECT_EQ(samples.at(R"(pacsport_export_duration_seconds_bucket{kind="direct",le="1"})"), 1);
  EXPECT_EQ(samples.at(R"(pacsport_export_duration_seconds_bucket{kind="direct",le="5"})"), 2);
  EXPECT_EQ(samples.at(R"(pacsport_export_duration_seconds_bucket{kind="direct",le="+Inf"})"), 2);
  EXPECT_EQ(samples.at(R"(pacsport_export_duration_seconds_count{kind="direct"})"), 2);
  EXPECT_NEAR(samples.at(R"(pacsport_export_duration_seconds_sum{kind="direct"})"), 2.07, 1e-9);
  // Over the largest bucket: only +Inf holds it.
  EXPECT_EQ(samples.at(R"(pacsport_export_duration_seconds_bucket{kind="job",le="14400"})"), 0);
  EXPECT_EQ(samples.at(R"(pacsport_export_duration_seconds_bucket{kind="job",le="+Inf"})"), 1);
}

TEST(MetricsTest, CountsJobsPreviewsAndScrapedValues) {
  Metrics metrics("test");
  metrics.JobBegan();
  metrics.JobFinished("done");
  metrics.JobFinished("done");
  metrics.JobFinished("cancelled");
  metrics.PreviewRendered(PreviewKind::kFrames, 0.02s);
  metrics.PreviewRendered(PreviewKind::kThumbnail, 40s);
  metrics.PreviewWorkerEnded(WorkerEnd::kKilled);
  metrics.SetJobsQueued(7);
  metrics.SetIndexSessions(3, 8);
  metrics.SetSyncLag("pacs-a", 12.5s);
  metrics.SetSyncLag("pacs-a", 1.5s);

  const auto samples = Samples(metrics.Text());
  EXPECT_EQ(samples.at("pacsport_jobs_running"), 1);
  EXPECT_EQ(samples.at(R"(pacsport_jobs_finished_total{outcome="done"})"), 2);
  EXPECT_EQ(samples.at(R"(pacsport_jobs_finished_total{outcome="cancelled"})"), 1);
  EXPECT_EQ(
      samples.at(R"(pacsport_preview_render_duration_seconds_bucket{kind="frames",le="0.025"})"),
      1);
  EXPECT_EQ(samples.at(R"(pacsport_preview_render_duration_seconds_count{kind="thumbnail"})"), 1);
  EXPECT_EQ(
      samples.at(R"(pacsport_preview_render_duration_seconds_bucket{kind="thumbnail",le="30"})"),
      0);
  EXPECT_EQ(samples.at(R"(pacsport_preview_worker_restarts_total{kind="killed"})"), 1);
  EXPECT_EQ(samples.at(R"(pacsport_preview_worker_restarts_total{kind="retired"})"), 0);
  EXPECT_EQ(samples.at(R"(pacsport_jobs_finished_total{outcome="failed"})"), 0);
  EXPECT_EQ(samples.at("pacsport_jobs_queued"), 7);
  EXPECT_EQ(samples.at("pacsport_index_sessions_in_use"), 3);
  EXPECT_EQ(samples.at("pacsport_index_sessions"), 8);
  EXPECT_EQ(samples.at(R"(pacsport_orthanc_sync_lag_seconds{source="pacs-a"})"), 1.5);
}

TEST(MetricsTest, EscapesLabelValues) {
  Metrics metrics("test");
  metrics.SetSyncLag("a \"quoted\" \\ name", 1s);
  EXPECT_NE(
      metrics.Text().find(R"(pacsport_orthanc_sync_lag_seconds{source="a \"quoted\" \\ name"} 1)"),
      std::string::npos)
      << metrics.Text();
}

TEST(MetricsTest, CountsExactlyUnderConcurrentUpdates) {
  Metrics metrics("test");
  constexpr int kThreads = 4;
  constexpr int kEach = 5000;
  std::vector<std::jthread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&metrics] {
      for (int i = 0; i < kEach; ++i) {
        metrics.ExportBegan(ExportKind::kJob);
        metrics.ExportFinished({ExportKind::kJob, "success", "study", "zip", 3, 0.5s});
        metrics.ExportEnded(ExportKind::kJob);
      }
    });
  }
  threads.clear();
  const auto samples = Samples(metrics.Text());
  EXPECT_EQ(
      samples.at(
          R"(pacsport_exports_finished_total{format="zip",kind="job",outcome="success",scope="study"})"),
      kThreads * kEach);
  EXPECT_EQ(samples.at(R"(pacsport_export_sent_bytes_total{kind="job"})"), 3.0 * kThreads * kEach);
  EXPECT_EQ(samples.at(R"(pacsport_export_duration_seconds_count{kind="job"})"), kThreads * kEach);
  EXPECT_EQ(samples.at(R"(pacsport_exports_running{kind="job"})"), 0);
}

TEST(ClockTest, ParsesWhatIso8601Writes) {
  const SystemTime t{std::chrono::milliseconds(1764820336123)};
  EXPECT_EQ(ParseIso8601(Iso8601(t)), t);
  EXPECT_EQ(ParseIso8601("2026-11-28T04:12:16Z"), SystemTime(std::chrono::seconds(1795839136)));
  for (const char* bad : {"", "2026-11-28", "2026-11-28T04:12:16", "2026-11-28T04:12:16.1Z",
                          "2026-11-28T04:12:16.123Zx", "yesterday"}) {
    EXPECT_EQ(ParseIso8601(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace pacsport
