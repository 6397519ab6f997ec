#include "http/job_json.h"

namespace pacsport::http {
namespace {

using json = nlohmann::ordered_json;

json OrNull(const std::string& text) { return text.empty() ? json(nullptr) : json(text); }

}  // namespace

json JobJson(const JobRecord& job) {
  const json request = json::parse(job.request, nullptr, false);
  json archive = nullptr;
  if (!job.archive_sha256.empty()) {
    archive = {{"size", job.archive_size},
               {"sha256", job.archive_sha256},
               {"expiresAt", OrNull(job.expires_at)}};
  }
  return {
      {"id", job.id},
      {"state", JobStateName(job.state)},
      {"url", "/api/export/jobs/" + job.id},
      {"scope", request.value("scope", "")},
      {"ids", request.value("ids", json::array())},
      {"format", request.value("format", "zip")},
      {"deidentify", request.value("deidentify", json(nullptr))},
      {"username", job.username},
      {"archiveName", job.archive_name},
      {"createdAt", job.created_at},
      {"startedAt", OrNull(job.started_at)},
      {"finishedAt", OrNull(job.finished_at)},
      {"progress",
       {{"instancesDone", job.progress.instances_done},
        {"instancesTotal", job.progress.instances_total},
        {"bytesDone", job.progress.bytes_done},
        {"bytesTotal", job.progress.bytes_total}}},
      {"error", OrNull(job.error)},
      {"archive", archive},
      {"destination", job.destination_id != 0 ? json(job.destination_id) : json(nullptr)},
      {"deliveredTo", job.delivered_to.empty() ? json(nullptr) : json::parse(job.delivered_to)}};
}

}  // namespace pacsport::http
