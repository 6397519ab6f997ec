// Metrics: this process's operational measurements, which GET /metrics exposes in the
// Prometheus text format, version 0.0.4 (docs/metrics.md lists every metric).
//
// Per process: with several replicas each counts its own work and is scraped on its
// own. Counters only grow from the process's start; durations are in seconds, sizes
// in bytes. No label carries patient data, a user or a hospital: every label value is
// one of a closed set (outcome, scope, format, kind) or a configured source's name.
//
// The registry and its text format are prometheus-cpp's core library (Debian's
// libprometheus-cpp-core), which stays behind this file (decision 0025).
// Thread-safe: any method may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace pacsport {

// The way an export is delivered: streamed to an HTTP client, or run as a job.
enum class ExportKind { kDirect, kJob };

// A preview rendered for an export (every frame) or for a thumbnail (frame 0).
enum class PreviewKind { kFrames, kThumbnail };

// Why a preview worker was ended, so that its slot starts a fresh one at its next use.
enum class WorkerEnd {
  kKilled,   // it crashed, stalled, broke the protocol or exceeded its budget
  kRetired,  // it had served another hospital
};

// One export attempt at its end, as its audit record completes.
struct ExportEnd {
  ExportKind kind = ExportKind::kDirect;
  std::string_view outcome;  // AuditOutcomeName: success, failed, aborted, denied, ...
  std::string_view scope;    // ScopeName; "" (shown "unknown") when the request did not parse
  std::string_view format;   // FormatName; "" (shown "unknown") likewise
  std::uint64_t bytes_sent = 0;
  // From planned to completed; none for an attempt refused before it was planned.
  std::optional<std::chrono::duration<double>> duration;
};

class Metrics {
 public:
  // Every metric registered, at zero; the process start time and `version` recorded.
  explicit Metrics(std::string_view version);
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // An export session began or ended (exports running).
  void ExportBegan(ExportKind kind);
  void ExportEnded(ExportKind kind);
  // Counts the attempt by outcome, the bytes it sent, and its duration when it has one.
  void ExportFinished(const ExportEnd& end);

  // An export job began or ended running on this process.
  void JobBegan();
  void JobEnded();
  // A job reached the final state `state` (JobStateName: done, delivered, failed,
  // cancelled) through this process.
  void JobFinished(std::string_view state);

  void PreviewRendered(PreviewKind kind, std::chrono::duration<double> duration);
  void PreviewWorkerEnded(WorkerEnd why);

  // Values read when scraped (routes_metrics.cpp): the index's queued jobs, this
  // process's index sessions, and the time since a source's last complete sync.
  void SetJobsQueued(std::int64_t count);
  void SetIndexSessions(std::size_t in_use, std::size_t pool_size);
  void SetSyncLag(std::string_view source, std::chrono::duration<double> lag);

  // Every metric in the text exposition format 0.0.4.
  std::string Text() const;

 private:
  struct Instruments;
  const std::unique_ptr<Instruments> instruments_;
};

// The process's metrics, made on first use.
Metrics& ProcessMetrics();

// Counts one export job running on this process while it lives.
class RunningJob {
 public:
  RunningJob() { ProcessMetrics().JobBegan(); }
  ~RunningJob() { ProcessMetrics().JobEnded(); }
  RunningJob(const RunningJob&) = delete;
  RunningJob& operator=(const RunningJob&) = delete;
};

// The content type of Metrics::Text.
inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace pacsport
