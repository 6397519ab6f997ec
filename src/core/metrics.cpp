#include "core/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace pacsport {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

std::string_view KindName(ExportKind kind) {
  return kind == ExportKind::kDirect ? "direct" : "job";
}

std::string_view KindName(PreviewKind kind) {
  return kind == PreviewKind::kFrames ? "frames" : "thumbnail";
}

std::string_view KindName(WorkerEnd why) {
  return why == WorkerEnd::kKilled ? "killed" : "retired";
}

// Seconds, from a hundredth of a second (a small study) to four hours (a hospital's
// archive): where the bucket edges fall, not the values, is the histogram's cost.
const prometheus::Histogram::BucketBoundaries kExportSeconds = {
    0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600, 14400};
// Seconds, from a small frame to a multi-frame object over the stall limit.
const prometheus::Histogram::BucketBoundaries kPreviewSeconds = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

double UnixSecondsNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

// The families register with `registry` in the order declared here, which is also the
// order of Text().
struct Metrics::Instruments {
  prometheus::Registry registry;
  prometheus::Family<prometheus::Gauge>& exports_running =
      BuildGauge()
          .Name("pacsport_exports_running")
          .Help("Export sessions open on this process, by kind (direct, job)")
          .Register(registry);
  prometheus::Family<prometheus::Counter>& exports_finished =
      BuildCounter()
          .Name("pacsport_exports_finished_total")
          .Help(
              "Export attempts ended (their audit record completed), by outcome, scope, format and "
              "kind")
          .Register(registry);
  prometheus::Family<prometheus::Counter>& export_sent_bytes =
      BuildCounter()
          .Name("pacsport_export_sent_bytes_total")
          .Help(
              "Bytes exports delivered, to HTTP clients (direct) or to job archives and pushes "
              "(job)")
          .Register(registry);
  prometheus::Family<prometheus::Histogram>& export_duration =
      BuildHistogram()
          .Name("pacsport_export_duration_seconds")
          .Help("Duration of planned exports from plan to completion, by kind")
          .Register(registry);
  prometheus::Family<prometheus::Gauge>& jobs_queued =
      BuildGauge()
          .Name("pacsport_jobs_queued")
          .Help("Export jobs queued in the index (shared by every replica)")
          .Register(registry);
  prometheus::Family<prometheus::Gauge>& jobs_running =
      BuildGauge()
          .Name("pacsport_jobs_running")
          .Help("Export jobs running on this process")
          .Register(registry);
  prometheus::Family<prometheus::Counter>& jobs_finished =
      BuildCounter()
          .Name("pacsport_jobs_finished_total")
          .Help("Export jobs that reached a final state through this process, by outcome")
          .Register(registry);
  prometheus::Family<prometheus::Histogram>& preview_duration =
      BuildHistogram()
          .Name("pacsport_preview_render_duration_seconds")
          .Help("Duration of preview renders in the worker pool, by kind (frames, thumbnail)")
          .Register(registry);
  prometheus::Family<prometheus::Counter>& preview_worker_restarts =
      BuildCounter()
          .Name("pacsport_preview_worker_restarts_total")
          .Help(
              "Preview workers ended so that a fresh one starts in their slot, by kind (killed, "
              "retired)")
          .Register(registry);
  prometheus::Family<prometheus::Gauge>& sync_lag =
      BuildGauge()
          .Name("pacsport_orthanc_sync_lag_seconds")
          .Help("Seconds since the last complete sync of an Orthanc source, by source")
          .Register(registry);
  prometheus::Family<prometheus::Gauge>& index_sessions_in_use =
      BuildGauge()
          .Name("pacsport_index_sessions_in_use")
          .Help("Sessions of this process's index pool leased to a transaction")
          .Register(registry);
  prometheus::Family<prometheus::Gauge>& index_sessions =
      BuildGauge()
          .Name("pacsport_index_sessions")
          .Help("Sessions in this process's index pool")
          .Register(registry);
  prometheus::Family<prometheus::Gauge>& start_time =
      BuildGauge()
          .Name("process_start_time_seconds")
          .Help("Start time of the process since the Unix epoch, in seconds")
          .Register(registry);
  prometheus::Family<prometheus::Gauge>& build_info =
      BuildGauge()
          .Name("pacsport_build_info")
          .Help("Always 1; the version label names the build")
          .Register(registry);
};

// The series of closed label sets are shown at zero from the start, so that a rate over
// them is defined before their first event; the others appear with their first event.
Metrics::Metrics(std::string_view version) : instruments_(std::make_unique<Instruments>()) {
  for (ExportKind kind : {ExportKind::kDirect, ExportKind::kJob}) {
    instruments_->exports_running.Add({{"kind", std::string(KindName(kind))}});
    instruments_->export_sent_bytes.Add({{"kind", std::string(KindName(kind))}});
  }
  for (const char* state : {"done", "delivered", "failed", "cancelled"}) {
    instruments_->jobs_finished.Add({{"outcome", state}});
  }
  for (WorkerEnd why : {WorkerEnd::kKilled, WorkerEnd::kRetired}) {
    instruments_->preview_worker_restarts.Add({{"kind", std::string(KindName(why))}});
  }
  instruments_->jobs_queued.Add({});
  instruments_->jobs_running.Add({});
  instruments_->start_time.Add({}).Set(UnixSecondsNow());
  instruments_->build_info.Add({{"version", std::string(version)}}).Set(1);
}

Metrics::~Metrics() = default;

void Metrics::ExportBegan(ExportKind kind) {
  instruments_->exports_running.Add({{"kind", std::string(KindName(kind))}}).Increment();
}

void Metrics::ExportEnded(ExportKind kind) {
  instruments_->exports_running.Add({{"kind", std::string(KindName(kind))}}).Decrement();
}

void Metrics::ExportFinished(const ExportEnd& end) {
  const std::string kind(KindName(end.kind));
  instruments_->exports_finished
      .Add({{"outcome", std::string(end.outcome)},
            {"scope", std::string(end.scope.empty() ? "unknown" : end.scope)},
            {"format", std::string(end.format.empty() ? "unknown" : end.format)},
            {"kind", kind}})
      .Increment();
  instruments_->export_sent_bytes.Add({{"kind", kind}})
      .Increment(static_cast<double>(end.bytes_sent));
  if (end.duration) {
    instruments_->export_duration.Add({{"kind", kind}}, kExportSeconds)
        .Observe(end.duration->count());
  }
}

void Metrics::JobBegan() { instruments_->jobs_running.Add({}).Increment(); }

void Metrics::JobEnded() { instruments_->jobs_running.Add({}).Decrement(); }

void Metrics::JobFinished(std::string_view state) {
  instruments_->jobs_finished.Add({{"outcome", std::string(state)}}).Increment();
}

void Metrics::PreviewRendered(PreviewKind kind, std::chrono::duration<double> duration) {
  instruments_->preview_duration.Add({{"kind", std::string(KindName(kind))}}, kPreviewSeconds)
      .Observe(duration.count());
}

void Metrics::PreviewWorkerEnded(WorkerEnd why) {
  instruments_->preview_worker_restarts.Add({{"kind", std::string(KindName(why))}}).Increment();
}

void Metrics::SetJobsQueued(std::int64_t count) {
  instruments_->jobs_queued.Add({}).Set(static_cast<double>(count));
}

void Metrics::SetIndexSessions(std::size_t in_use, std::size_t pool_size) {
  instruments_->index_sessions_in_use.Add({}).Set(static_cast<double>(in_use));
  instruments_->index_sessions.Add({}).Set(static_cast<double>(pool_size));
}

void Metrics::SetSyncLag(std::string_view source, std::chrono::duration<double> lag) {
  instruments_->sync_lag.Add({{"source", std::string(source)}}).Set(lag.count());
}

std::string Metrics::Text() const {
  return prometheus::TextSerializer().Serialize(instruments_->registry.Collect());
}

Metrics& ProcessMetrics() {
  static Metrics metrics(PACSPORT_VERSION);
  return metrics;
}

}  // namespace pacsport
