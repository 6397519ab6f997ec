#include "orthanc/orthanc_sync.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "core/clock.h"
#include "ingest/ingestor.h"
#include "orthanc/downloaded_object.h"

namespace pacsport {
namespace {

constexpr int kPageSize = 1000;
// Files are parsed from memory up to this size and from a temporary file beyond, so
// that a sync holds at most max_in_flight times this much of them.
constexpr size_t kInMemoryMaxBytes = size_t{64} << 20;
constexpr size_t kReadChunkBytes = size_t{1} << 20;

Result<nlohmann::json> GetJson(RestClient& client, const std::string& path) {
  auto body = client.Get(path);
  if (!body.ok()) return body.error();
  nlohmann::json json = nlohmann::json::parse(*body, nullptr, false);
  if (json.is_discarded()) return Internal("GET " + path + ": Orthanc answered no JSON");
  return json;
}

// Orthanc's answer to anything unexpected in a JSON document.
Error Malformed(const std::string& path) {
  return Internal("GET " + path + ": Orthanc's answer has an unexpected shape");
}

Result<std::int64_t> LastChange(RestClient& client) {
  const std::string path = "/changes?last";
  auto changes = GetJson(client, path);
  if (!changes.ok()) return changes.error();
  if (!changes->contains("Last") || !(*changes)["Last"].is_number_integer()) return Malformed(path);
  return (*changes)["Last"].get<std::int64_t>();
}

// The elements of `a` that are not in `b`; both sorted.
std::vector<std::string> Difference(const std::vector<std::string>& a,
                                    const std::vector<std::string>& b) {
  std::vector<std::string> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

}  // namespace

Result<std::vector<std::string>> OrthancSync::ListInstances() {
  std::vector<std::string> ids;
  for (std::int64_t since = 0;; since += kPageSize) {
    const std::string path =
        "/instances?since=" + std::to_string(since) + "&limit=" + std::to_string(kPageSize);
    auto page = GetJson(source_.client(), path);
    if (!page.ok()) return page.error();
    if (!page->is_array()) return Malformed(path);
    for (const auto& id : *page) {
      if (!id.is_string()) return Malformed(path);
      ids.push_back(id.get<std::string>());
    }
    if (page->size() < kPageSize) return ids;
  }
}

Status OrthancSync::FollowChanges(std::int64_t since, std::vector<std::string>& added,
                                  std::int64_t& last) {
  for (;;) {
    const std::string path =
        "/changes?since=" + std::to_string(since) + "&limit=" + std::to_string(kPageSize);
    auto page = GetJson(source_.client(), path);
    if (!page.ok()) return page.error();
    const auto changes = page->find("Changes");
    const auto done = page->find("Done");
    const auto reached = page->find("Last");
    if (changes == page->end() || !changes->is_array() || done == page->end() ||
        !done->is_boolean() || reached == page->end() || !reached->is_number_integer()) {
      return Malformed(path);
    }
    for (const auto& change : *changes) {
      if (change.value("ChangeType", "") == "NewInstance" && change.contains("ID") &&
          change["ID"].is_string()) {
        added.push_back(change["ID"].get<std::string>());
      }
    }
    last = reached->get<std::int64_t>();
    if (done->get<bool>() || last <= since) return Status::Ok();
    since = last;
  }
}

Status OrthancSync::IndexOne(const std::string& id, SyncReport& report, std::mutex& report_mutex) {
  const InstanceLocation location{name(), id};
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
  std::string skipped_because;  // empty when the instance was added
  if (!described.ok()) {
    skipped_because = described.error().message();  // not indexable: refused like an upload
  } else {
    described->orthanc_instance_id = id;
    described->location = location;
    auto added = index_.AddInstance(hospital_id_, *described);
    if (!added.ok()) {
      if (added.error().code() != ErrorCode::kInvalidInput) return added.error();
      skipped_because = added.error().message();
    } else if (*added == IngestOutcome::kAlreadyPresent) {
      skipped_because = "its SOP Instance UID is already indexed for this hospital";
    }
  }
  std::lock_guard lock(report_mutex);
  if (skipped_because.empty()) {
    ++report.added;
  } else {
    ++report.skipped;
    spdlog::warn("event=source_instance_skipped source={} orthanc_id={} reason=\"{}\"", name(), id,
                 skipped_because);
  }
  return Status::Ok();
}

Status OrthancSync::IndexAll(const std::vector<std::string>& ids, std::stop_token stop,
                             SyncReport& report) {
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mutex;  // guards report and failure
  std::optional<Error> failure;
  auto work = [&] {
    for (size_t i = next++; i < ids.size() && !failed && !stop.stop_requested(); i = next++) {
      Status status = IndexOne(ids[i], report, mutex);
      // An instance deleted since it was listed is simply not indexed.
      if (status.ok() || status.error().code() == ErrorCode::kNotFound) continue;
      std::lock_guard lock(mutex);
      if (!failure) failure = status.error();
      failed = true;
    }
  };
  const size_t threads =
      std::min(ids.size(), static_cast<size_t>(source_.settings().max_in_flight));
  {
    std::vector<std::jthread> pool;
    for (size_t i = 0; i < threads; ++i) pool.emplace_back(work);
  }
  if (failure) return *failure;
  if (stop.stop_requested()) return Unavailable("the sync of '" + name() + "' was stopped");
  return Status::Ok();
}

Result<SyncReport> OrthancSync::Run(Mode mode, std::stop_token stop) {
  auto cursor = index_.GetSourceCursor(name());
  if (!cursor.ok()) return cursor.error();
  auto last = LastChange(source_.client());
  if (!last.ok()) return last.error();
  ObserveReached(*last);
  // A feed that went backwards belongs to a new Orthanc database: start over.
  if (!cursor->has_value() || (*cursor)->last_change > *last) mode = Mode::kReconcile;

  SyncReport report;
  std::vector<std::string> fresh;
  if (mode == Mode::kReconcile) {
    auto listed = ListInstances();
    if (!listed.ok()) return listed.error();
    auto known = index_.ListSourceKeys(name());
    if (!known.ok()) return known.error();
    std::sort(listed->begin(), listed->end());
    std::sort(known->begin(), known->end());
    fresh = Difference(*listed, *known);
    auto removed = index_.RemoveSourceInstances(name(), Difference(*known, *listed));
    if (!removed.ok()) return removed.error();
    report.removed = *removed;
    report.cursor = *last;
  } else {
    std::vector<std::string> added;
    if (Status s = FollowChanges((*cursor)->last_change, added, report.cursor); !s.ok()) {
      return s.error();
    }
    for (const std::string& id : added) {
      auto known = index_.IsLocationReferenced({name(), id});
      if (!known.ok()) return known.error();
      if (!*known) fresh.push_back(id);
    }
  }
  if (Status s = IndexAll(fresh, stop, report); !s.ok()) return s.error();
  const SourceCursor reached{report.cursor, Iso8601(std::chrono::system_clock::now())};
  if (Status s = index_.SetSourceCursor(name(), reached); !s.ok()) return s.error();
  return report;
}

Result<SyncReport> OrthancSync::Pass(Mode mode, std::stop_token stop) {
  std::lock_guard lock(pass_mutex_);
  Result<SyncReport> outcome = Run(mode, std::move(stop));
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
