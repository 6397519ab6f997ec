#include "orthanc/orthanc_sync.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

#include "core/clock.h"
#include "ingest/ingestor.h"
#include "orthanc/downloaded_object.h"
#include "orthanc/parallel_each.h"

namespace pacsport {
namespace {

// Files are parsed from memory up to this size and from a temporary file beyond, so
// that a sync holds at most max_in_flight times this much of them.
constexpr size_t kInMemoryMaxBytes = size_t{64} << 20;
constexpr size_t kReadChunkBytes = size_t{1} << 20;

}  // namespace

Result<ReconcilePlan> OrthancSync::PlanFollow(std::int64_t since, const std::stop_token& stop,
                                              SyncReport& report) {
  std::vector<std::string> ids;
  if (Status s = catalog_.ReadNewInstances(since, ids, report.cursor); !s.ok()) return s.error();
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::vector<std::optional<OrthancInstance>> held(ids.size());
  std::vector<std::optional<SourceEntry>> indexed(ids.size());
  Status looked =
      ParallelEach(ids.size(), source_.settings().max_in_flight, stop, [&](size_t i) -> Status {
        auto described = catalog_.Describe(ids[i]);
        if (!described.ok()) return described.error();
        held[i] = std::move(*described);
        auto entry = index_.FindSourceInstance({name(), ids[i]});
        if (!entry.ok()) return entry.error();
        indexed[i] = std::move(*entry);
        return Status::Ok();
      });
  if (!looked.ok()) return looked.error();
  std::vector<OrthancInstance> shown;
  std::vector<SourceEntry> entries;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (held[i]) shown.push_back(std::move(*held[i]));
    if (indexed[i]) entries.push_back(std::move(*indexed[i]));
  }
  return PlanReconcile(std::move(shown), std::move(entries));
}

Status OrthancSync::Apply(ReconcilePlan plan, const std::stop_token& stop, SyncReport& report) {
  // Removal only on Orthanc's own word that it holds the instance no more.
  std::vector<std::optional<OrthancInstance>> held(plan.unshown.size());
  Status confirmed = ParallelEach(plan.unshown.size(), source_.settings().max_in_flight, stop,
                                  [&](size_t i) -> Status {
                                    auto described = catalog_.Describe(plan.unshown[i].key);
                                    if (!described.ok()) return described.error();
                                    held[i] = std::move(*described);
                                    return Status::Ok();
                                  });
  if (!confirmed.ok()) return confirmed.error();
  std::vector<std::string> gone;
  for (size_t i = 0; i < plan.unshown.size(); ++i) {
    if (held[i]) {
      Recheck(plan.unshown[i], *held[i], plan);
    } else {
      gone.push_back(plan.unshown[i].key);
    }
  }
  auto removed = index_.RemoveSourceInstances(name(), gone);
  if (!removed.ok()) return removed.error();
  report.removed = *removed;
  if (Status s = index_.SetSourceRevisions(name(), plan.adopt); !s.ok()) return s;
  if (Status s = IndexAll(plan.fetch, Indexing::kNew, stop, report); !s.ok()) return s;
  return IndexAll(plan.refetch, Indexing::kReplacement, stop, report);
}

Status OrthancSync::IndexOne(const OrthancInstance& instance, Indexing indexing, SyncReport& report,
                             std::mutex& report_mutex) {
  const InstanceLocation location{name(), instance.id};
  Result<StoredInstance> described = NotFound("");
  {
    DownloadedObject file(kInMemoryMaxBytes);
    Status read = source_.ReadChunked(location, kReadChunkBytes,
                                      [&](std::string_view chunk) { return file.Append(chunk); });
    if (!read.ok()) return read.error();
    auto bytes = file.Finish();
    if (!bytes.ok()) return bytes.error();
    described = DescribeInstance(*bytes, limits_);
  }
  std::string skipped_because;  // empty when the instance was indexed
  if (!described.ok()) {
    skipped_because = described.error().message();  // not indexable: refused like an upload
    // What was indexed under this ID is not what Orthanc holds there any more.
    auto removed = index_.RemoveSourceInstances(name(), {instance.id});
    if (!removed.ok()) return removed.error();
  } else {
    described->orthanc_instance_id = instance.id;
    described->location = location;
    described->source_revision = instance.file_uuid;
    auto added = index_.ReplaceSourceInstance(hospital_id_, *described);
    if (!added.ok()) {
      if (added.error().code() != ErrorCode::kInvalidInput) return added.error();
      skipped_because = added.error().message();
    } else if (*added == IngestOutcome::kAlreadyPresent) {
      skipped_because = "its SOP Instance UID is already indexed for this hospital";
    }
  }
  std::lock_guard lock(report_mutex);
  if (!skipped_because.empty()) {
    ++report.skipped;
    spdlog::warn("event=source_instance_skipped source={} orthanc_id={} reason=\"{}\"", name(),
                 instance.id, skipped_because);
  } else if (indexing == Indexing::kReplacement) {
    ++report.replaced;
    spdlog::info("event=source_instance_replaced source={} orthanc_id={}", name(), instance.id);
  } else {
    ++report.added;
  }
  return Status::Ok();
}

Status OrthancSync::IndexAll(const std::vector<OrthancInstance>& instances, Indexing indexing,
                             const std::stop_token& stop, SyncReport& report) {
  std::mutex mutex;  // guards report
  return ParallelEach(instances.size(), source_.settings().max_in_flight, stop,
                      [&](size_t i) -> Status {
                        Status status = IndexOne(instances[i], indexing, report, mutex);
                        // An instance deleted since it was seen is simply not indexed.
                        if (!status.ok() && status.error().code() == ErrorCode::kNotFound) {
                          return Status::Ok();
                        }
                        return status;
                      });
}

Result<SyncReport> OrthancSync::Run(Mode mode, const std::stop_token& stop) {
  auto cursor = index_.GetSourceCursor(name());
  if (!cursor.ok()) return cursor.error();
  auto last = catalog_.LastChange();
  if (!last.ok()) return last.error();
  ObserveReached(*last);
  // A feed that went backwards belongs to a new Orthanc database: start over.
  if (!cursor->has_value() || (*cursor)->last_change > *last) mode = Mode::kReconcile;

  SyncReport report;
  Result<ReconcilePlan> plan = NotFound("");
  if (mode == Mode::kReconcile) {
    report.cursor = *last;
    auto listed = catalog_.ListInstances();
    if (!listed.ok()) return listed.error();
    auto indexed = index_.ListSourceInstances(name());
    if (!indexed.ok()) return indexed.error();
    plan = PlanReconcile(std::move(*listed), std::move(*indexed));
  } else {
    plan = PlanFollow((*cursor)->last_change, stop, report);
  }
  Status applied = plan.ok() ? Apply(std::move(*plan), stop, report) : Status(plan.error());
  if (!applied.ok()) {
    if (stop.stop_requested()) return Unavailable("the sync of '" + name() + "' was stopped");
    return applied.error();
  }
  const SourceCursor reached{report.cursor, Iso8601(std::chrono::system_clock::now())};
  if (Status s = index_.SetSourceCursor(name(), reached); !s.ok()) return s.error();
  return report;
}

Result<SyncReport> OrthancSync::Pass(Mode mode, const std::stop_token& stop) {
  std::lock_guard lock(pass_mutex_);
  Result<SyncReport> outcome = Run(mode, stop);
  ObserveOutcome(outcome);
  return outcome;
}

void OrthancSync::ObserveReached(std::int64_t last_change) {
  std::lock_guard lock(status_mutex_);
  status_.reachable = true;
  status_.error.clear();
  status_.last_change = last_change;
}

void OrthancSync::ObserveOutcome(const Result<SyncReport>& outcome) {
  std::lock_guard lock(status_mutex_);
  status_.reachable = outcome.ok();
  status_.error = outcome.ok() ? "" : outcome.error().message();
  if (outcome.ok()) {
    status_.indexed_change = outcome->cursor;
    status_.last_sync_at = Iso8601(std::chrono::system_clock::now());
  }
}

SourceStatus OrthancSync::status() const {
  std::lock_guard lock(status_mutex_);
  SourceStatus status = status_;
  status.name = source_.settings().name;
  status.kind = "orthanc";
  return status;
}

}  // namespace pacsport
