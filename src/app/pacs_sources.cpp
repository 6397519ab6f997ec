#include "app/pacs_sources.h"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>

namespace pacsport {
namespace {

// Sleeps for `duration` or until a stop is requested.
void SleepUnlessStopped(std::chrono::seconds duration, const std::stop_token& stop) {
  std::mutex mutex;
  std::condition_variable_any woken;
  std::unique_lock lock(mutex);
  woken.wait_for(lock, stop, duration, [] { return false; });
}

void KeepInSync(OrthancSync& sync, const OrthancSettings& settings, const std::stop_token& stop) {
  auto next_reconcile = std::chrono::steady_clock::now();
  bool failing = false;
  while (!stop.stop_requested()) {
    const bool reconcile = std::chrono::steady_clock::now() >= next_reconcile;
    auto report = sync.Pass(
        reconcile ? OrthancSync::Mode::kReconcile : OrthancSync::Mode::kFollowChanges, stop);
    if (report.ok()) {
      if (reconcile)
        next_reconcile = std::chrono::steady_clock::now() + settings.reconcile_interval;
      if (failing || report->added > 0 || report->removed > 0 || report->skipped > 0) {
        spdlog::info("event=source_synced source={} added={} removed={} skipped={} cursor={}",
                     settings.name, report->added, report->removed, report->skipped,
                     report->cursor);
      }
    } else if (!failing && !stop.stop_requested()) {
      spdlog::warn("event=source_sync_failed source={} error=\"{}\"", settings.name,
                   report.error().message());
    }
    failing = !report.ok();
    SleepUnlessStopped(settings.poll_interval, stop);
  }
}

}  // namespace

Result<std::unique_ptr<PacsSources>> PacsSources::Open(const Config& config, DataDirectory& dir) {
  std::unique_ptr<PacsSources> sources(new PacsSources(dir));
  sources->router_.Add(LocalStore::kSourceName, dir.store());
  for (const OrthancSettings& settings : config.orthanc_sources) {
    auto hospital = dir.index().FindHospital(settings.hospital);
    if (!hospital.ok()) {
      if (hospital.error().code() != ErrorCode::kNotFound) return hospital.error();
      return InvalidInput("source '" + settings.name + "': hospital \"" + settings.hospital +
                          "\" does not exist (pacsport hospital add)");
    }
    auto& source = sources->orthancs_.emplace_back(std::make_unique<OrthancSource>(settings));
    sources->syncs_.push_back(
        std::make_unique<OrthancSync>(dir.index(), *source, hospital->id, config.parse_limits));
    sources->router_.Add(settings.name, *source);
  }
  return sources;
}

PacsSources::~PacsSources() = default;

std::vector<SourceStatus> PacsSources::Statuses() {
  SourceStatus local;
  local.name = LocalStore::kSourceName;
  local.kind = "local";
  const Status reachable = dir_.store().CheckReachable();
  local.reachable = reachable.ok();
  if (!reachable.ok()) local.error = reachable.error().message();
  std::vector<SourceStatus> statuses{local};
  for (const auto& sync : syncs_) statuses.push_back(sync->status());
  return statuses;
}

void PacsSources::StartSyncing() {
  for (size_t i = 0; i < syncs_.size(); ++i) {
    threads_.emplace_back([sync = syncs_[i].get(), settings = orthancs_[i]->settings()](
                              std::stop_token stop) { KeepInSync(*sync, settings, stop); });
  }
}

}  // namespace pacsport
