#include "app/pacs_sources.h"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>

#include "core/replica_id.h"

namespace pacsport {
namespace {

// Sleeps for `duration` or until a stop is requested; false when one was.
bool SleepUnlessStopped(std::chrono::milliseconds duration, const std::stop_token& stop) {
  std::mutex mutex;
  std::condition_variable_any woken;
  std::unique_lock lock(mutex);
  woken.wait_for(lock, stop, duration, [] { return false; });
  return !stop.stop_requested();
}

// Passes every poll interval until `stop`: a reconciliation at once, then the feed.
void SyncUntilStopped(OrthancSync& sync, const OrthancSettings& settings,
                      const std::stop_token& stop) {
  auto next_reconcile = std::chrono::steady_clock::now();
  bool failing = false;
  while (!stop.stop_requested()) {
    const bool reconcile = std::chrono::steady_clock::now() >= next_reconcile;
    auto report = sync.Pass(
        reconcile ? OrthancSync::Mode::kReconcile : OrthancSync::Mode::kFollowChanges, stop);
    if (report.ok()) {
      if (reconcile)
        next_reconcile = std::chrono::steady_clock::now() + settings.reconcile_interval;
      if (failing || report->added > 0 || report->replaced > 0 || report->removed > 0 ||
          report->skipped > 0) {
        spdlog::info(
            "event=source_synced source={} added={} replaced={} removed={} skipped={} cursor={}",
            settings.name, report->added, report->replaced, report->removed, report->skipped,
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

// Syncs while this replica holds the source's lease, renewed beside the passes; a
// replica that does not hold it tries again every renewal interval, and takes it over
// once its holder stops renewing it.
void KeepInSync(OrthancSync& sync, const OrthancSettings& settings, SyncLease& lease,
                const std::stop_token& stop) {
  bool held_before = false;
  while (!stop.stop_requested()) {
    if (!lease.Hold()) {
      if (held_before) spdlog::warn("event=source_sync_lease_lost source={}", settings.name);
      held_before = false;
      SleepUnlessStopped(lease.renewal_interval(), stop);
      continue;
    }
    spdlog::info("event=source_sync_lease_taken source={} replica={}", settings.name,
                 ThisReplicaId());
    held_before = true;
    std::stop_source held;
    const std::stop_callback forward(stop, [&held] { held.request_stop(); });
    std::jthread renewal([&lease, &held] {
      while (SleepUnlessStopped(lease.renewal_interval(), held.get_token())) {
        if (!lease.Hold()) held.request_stop();
      }
    });
    SyncUntilStopped(sync, settings, held.get_token());
  }
  lease.Release();
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
  for (const auto& sync : syncs_) {
    SourceStatus status = sync->status();
    const std::optional<std::string> holder = SyncLease::Holder(dir_.index(), sync->name());
    status.synced_by = holder.value_or("");
    if (holder && *holder != ThisReplicaId()) {
      // Another replica syncs it: the index tells how far, that replica how it goes.
      status =
          SourceStatus{status.name, status.kind, true, std::nullopt, std::nullopt, "", "", *holder};
      if (auto cursor = dir_.index().GetSourceCursor(sync->name()); cursor.ok() && *cursor) {
        status.indexed_change = (*cursor)->last_change;
        status.last_sync_at = (*cursor)->synced_at;
      }
    }
    statuses.push_back(status);
  }
  return statuses;
}

void PacsSources::StartSyncing(std::chrono::seconds lease) {
  for (size_t i = 0; i < syncs_.size(); ++i) {
    const OrthancSettings& settings = orthancs_[i]->settings();
    leases_.push_back(
        std::make_unique<SyncLease>(dir_.index(), settings.name, ThisReplicaId(), lease));
    threads_.emplace_back([sync = syncs_[i].get(), settings, lease = leases_.back().get()](
                              std::stop_token stop) { KeepInSync(*sync, settings, *lease, stop); });
  }
}

}  // namespace pacsport
