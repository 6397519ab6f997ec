#include "delivery/destinations.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>

#include "core/clock.h"
#include "export/audit_action.h"

namespace pacsport::delivery {
namespace {

using json = nlohmann::json;
constexpr size_t kMaxNameLength = 100;

std::string Now() { return Iso8601(std::chrono::system_clock::now()); }

// The context each hospital's secrets are sealed under: sealed secrets copied to
// another hospital's row do not open.
std::string SealContext(RowId hospital_id) {
  return "pacsport destination secrets, hospital " + std::to_string(hospital_id);
}

Status RequireAdmin(const Principal& principal) {
  if (principal.role != Role::kAdmin) return Forbidden("only an admin manages destinations");
  return Status::Ok();
}

Result<std::string> ParseName(const json& value) {
  if (!value.is_string()) return InvalidInput("name must be a string");
  const std::string& name = value.get_ref<const std::string&>();
  const bool control = std::any_of(name.begin(), name.end(),
                                   [](char c) { return static_cast<unsigned char>(c) < 0x20; });
  if (name.empty() || name.size() > kMaxNameLength || control || name.front() == ' ' ||
      name.back() == ' ') {
    return InvalidInput(
        "name must be 1 to 100 characters, without control characters or "
        "surrounding spaces");
  }
  return name;
}

// Secrets as given: an object of strings (and, in an update, nulls that remove a key).
Status CheckSecrets(const json& secrets, bool nulls_allowed) {
  if (!secrets.is_object()) return InvalidInput("secrets must be a JSON object");
  for (const auto& [key, value] : secrets.items()) {
    if (value.is_string() || (nulls_allowed && value.is_null())) continue;
    return InvalidInput("secrets." + key + " must be a string" + (nulls_allowed ? " or null" : ""));
  }
  return Status::Ok();
}

Status OnlyKeys(const json& body, std::initializer_list<std::string_view> keys) {
  if (!body.is_object()) return InvalidInput("the body must be a JSON object");
  for (const auto& [key, value] : body.items()) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      return InvalidInput(key + " is not a known key");
    }
  }
  return Status::Ok();
}

Result<DestinationView> ViewOf(DestinationRecord record) {
  DestinationView view;
  view.settings = json::parse(record.settings, nullptr, false);
  const json names = json::parse(record.secret_names, nullptr, false);
  if (view.settings.is_discarded() || !names.is_array()) {
    return Internal("a stored destination does not parse");
  }
  for (const auto& name : names) view.secret_names.push_back(name.get<std::string>());
  record.secrets.clear();
  view.record = std::move(record);
  return view;
}

// What the archive holds, for the e-mail: no identifier of any patient.
std::string SummaryOf(const JobRecord& job) {
  const json request = json::parse(job.request, nullptr, false);
  const std::string scope = request.is_object() ? request.value("scope", "") : "";
  const std::int64_t instances = job.progress.instances_done;
  return scope + " export, " + std::to_string(instances) +
         (instances == 1 ? " instance" : " instances");
}

}  // namespace

Destinations::Destinations(Index& index, const auth::SecretBox& box, SenderContext context)
    : index_(index), box_(box), context_(std::move(context)) {}

Status Destinations::Seal(DestinationRecord& destination, const json& settings,
                          const json& secrets) {
  const auto kind = ParseDestinationKind(destination.kind);
  if (!kind) return InvalidInput("kind must be one of " + DestinationKindNames());
  if (delivery::TakesInstances(*kind)) {
    auto sender = MakeInstanceSender(*kind, settings, secrets, context_);
    if (!sender.ok()) return sender.error();
  } else {
    auto sender = MakeSender(*kind, settings, secrets, context_);
    if (!sender.ok()) return sender.error();
  }
  json names = json::array();
  for (const auto& [key, value] : secrets.items()) names.push_back(key);
  destination.settings = settings.dump();
  destination.secrets = box_.Seal(secrets.dump(), SealContext(destination.hospital_id));
  destination.secret_names = names.dump();
  return Status::Ok();
}

Result<json> Destinations::OpenSecrets(const DestinationRecord& destination) const {
  auto opened = box_.Open(destination.secrets, SealContext(destination.hospital_id));
  if (!opened.ok()) {
    return Internal("the destination's secrets cannot be opened: the secrets key has changed");
  }
  json secrets = json::parse(*opened, nullptr, false);
  if (!secrets.is_object()) return Internal("the destination's secrets do not parse");
  return secrets;
}

Result<Destinations::Opened> Destinations::Open(const DestinationRecord& destination) const {
  const auto kind = ParseDestinationKind(destination.kind);
  json settings = json::parse(destination.settings, nullptr, false);
  auto secrets = OpenSecrets(destination);
  if (!secrets.ok()) return secrets.error();
  if (!kind || settings.is_discarded()) return Internal("a stored destination does not parse");
  return Opened{*kind, std::move(settings), std::move(*secrets)};
}

Result<std::unique_ptr<ArchiveSender>> Destinations::SenderOf(
    const DestinationRecord& destination) {
  auto opened = Open(destination);
  if (!opened.ok()) return opened.error();
  return MakeSender(opened->kind, opened->settings, opened->secrets, context_);
}

Result<std::unique_ptr<InstanceSender>> Destinations::InstanceSenderOf(
    const DestinationRecord& destination) {
  auto opened = Open(destination);
  if (!opened.ok()) return opened.error();
  return MakeInstanceSender(opened->kind, opened->settings, opened->secrets, context_);
}

Result<DestinationRecord> Destinations::DestinationOf(const JobRecord& job) {
  auto found = index_.GetDestination(job.hospital_id, job.destination_id);
  if (!found.ok() && found.error().code() == ErrorCode::kNotFound) {
    return NotFound("the destination was removed");
  }
  return found;
}

Result<DestinationView> Destinations::Create(const Principal& admin, const json& body,
                                             const ExportAttempt& attempt) {
  DestinationRecord destination;
  destination.hospital_id = admin.hospital_id;
  Status checked = RequireAdmin(admin);
  if (checked.ok()) checked = OnlyKeys(body, {"name", "kind", "settings", "secrets"});
  if (checked.ok()) {
    auto name = ParseName(body.value("name", json()));
    if (!name.ok())
      checked = name.error();
    else
      destination.name = *name;
  }
  const json secrets = body.is_object() ? body.value("secrets", json::object()) : json();
  if (checked.ok()) checked = CheckSecrets(secrets, false);
  if (checked.ok()) {
    const json kind = body.value("kind", json());
    destination.kind = kind.is_string() ? kind.get<std::string>() : "";
    checked = Seal(destination, body.value("settings", json::object()), secrets);
  }
  destination.created_by = admin.username;
  destination.created_at = destination.updated_at = Now();
  if (checked.ok()) {
    auto id = index_.AddDestination(destination);
    if (id.ok())
      destination.id = *id;
    else
      checked = id.error();
  }
  Audit(attempt, admin, destination, checked, checked.ok() ? "created" : "");
  if (!checked.ok()) return checked.error();
  return ViewOf(destination);
}

Result<std::vector<DestinationView>> Destinations::List(const Principal& principal) {
  auto stored = index_.ListDestinations(principal.hospital_id);
  if (!stored.ok()) return stored.error();
  std::vector<DestinationView> views;
  for (DestinationRecord& destination : *stored) {
    auto view = ViewOf(std::move(destination));
    if (!view.ok()) return view.error();
    views.push_back(std::move(*view));
  }
  return views;
}

Result<DestinationView> Destinations::Get(const Principal& principal, RowId id) {
  auto destination = index_.GetDestination(principal.hospital_id, id);
  if (!destination.ok()) return destination.error();
  return ViewOf(std::move(*destination));
}

Result<DestinationView> Destinations::Update(const Principal& admin, RowId id, const json& body,
                                             const ExportAttempt& attempt) {
  if (Status s = RequireAdmin(admin); !s.ok()) return s.error();
  auto found = index_.GetDestination(admin.hospital_id, id);
  if (!found.ok()) return found.error();
  DestinationRecord destination = *found;
  Status checked = OnlyKeys(body, {"name", "settings", "secrets"});
  if (checked.ok() && body.contains("name")) {
    auto name = ParseName(body["name"]);
    if (!name.ok())
      checked = name.error();
    else
      destination.name = *name;
  }
  json secrets;
  if (checked.ok()) {
    auto stored = OpenSecrets(destination);
    if (!stored.ok())
      checked = stored.error();
    else
      secrets = *stored;
  }
  if (checked.ok() && body.contains("secrets")) {
    checked = CheckSecrets(body["secrets"], true);
    if (checked.ok()) secrets.merge_patch(body["secrets"]);
  }
  if (checked.ok()) {
    const json settings =
        body.contains("settings") ? body["settings"] : json::parse(destination.settings);
    checked = Seal(destination, settings, secrets);
  }
  destination.updated_at = Now();
  if (checked.ok()) checked = index_.UpdateDestination(destination);
  Audit(attempt, admin, destination, checked, checked.ok() ? "changed" : "");
  if (!checked.ok()) return checked.error();
  return ViewOf(destination);
}

Status Destinations::Delete(const Principal& admin, RowId id, const ExportAttempt& attempt) {
  if (Status s = RequireAdmin(admin); !s.ok()) return s;
  auto found = index_.GetDestination(admin.hospital_id, id);
  if (!found.ok()) return found.error();
  Status removed = index_.DeleteDestination(admin.hospital_id, id);
  Audit(attempt, admin, *found, removed, removed.ok() ? "removed" : "");
  return removed;
}

Result<Status> Destinations::Test(const Principal& admin, RowId id, const ExportAttempt& attempt,
                                  std::stop_token stop) {
  if (Status s = RequireAdmin(admin); !s.ok()) return s.error();
  auto found = index_.GetDestination(admin.hospital_id, id);
  if (!found.ok()) return found.error();
  Status outcome;
  const auto kind = ParseDestinationKind(found->kind);
  if (kind && delivery::TakesInstances(*kind)) {
    auto sender = InstanceSenderOf(*found);
    outcome = sender.ok() ? (*sender)->Check(stop) : Status(sender.error());
  } else {
    auto sender = SenderOf(*found);
    outcome = sender.ok() ? (*sender)->Check(stop) : Status(sender.error());
  }
  Audit(attempt, admin, *found, outcome, outcome.ok() ? "test passed" : "", false);
  return outcome;
}

Status Destinations::CheckDestination(const Principal& principal, RowId destination_id) {
  auto found = index_.GetDestination(principal.hospital_id, destination_id);
  if (!found.ok()) return found.error();
  return Status::Ok();
}

std::string Destinations::DestinationLabel(const JobRecord& job) {
  auto found = index_.GetDestination(job.hospital_id, job.destination_id);
  if (!found.ok()) return "destination " + std::to_string(job.destination_id);
  return found->name + " (" + found->kind + ")";
}

Result<DeliveredArchive> Destinations::Deliver(const JobRecord& job,
                                               const std::filesystem::path& archive,
                                               std::stop_token stop,
                                               std::atomic<std::uint64_t>& bytes_sent) {
  auto found = DestinationOf(job);
  if (!found.ok()) return found.error();
  auto sender = SenderOf(*found);
  if (!sender.ok()) return sender.error();
  OutgoingArchive outgoing;
  outgoing.path = archive;
  outgoing.size = static_cast<std::uint64_t>(job.archive_size);
  outgoing.sha256 = job.archive_sha256;
  outgoing.name = job.archive_name;
  outgoing.content_type = archive.extension() == ".zip" ? "application/zip" : "application/json";
  outgoing.job_id = job.id;
  outgoing.hospital_name = job.hospital_name;
  outgoing.username = job.username;
  outgoing.summary = SummaryOf(job);
  auto sent = (*sender)->Send(outgoing, stop, bytes_sent);
  if (!sent.ok()) return sent.error();
  nlohmann::ordered_json where = sent->where;
  where["destination"] = {{"id", found->id}, {"name", found->name}};
  return DeliveredArchive{where.dump(), sent->keep_archive_until};
}

bool Destinations::TakesInstances(const JobRecord& job) {
  auto found = index_.GetDestination(job.hospital_id, job.destination_id);
  if (!found.ok()) return false;
  const auto kind = ParseDestinationKind(found->kind);
  return kind && delivery::TakesInstances(*kind);
}

Result<PushedExport> Destinations::Push(const JobRecord& job, InstanceFeed& feed,
                                        std::stop_token stop,
                                        std::atomic<std::int64_t>& instances_done) {
  auto found = DestinationOf(job);
  if (!found.ok()) return found.error();
  auto sender = InstanceSenderOf(*found);
  if (!sender.ok()) return sender.error();
  auto report = (*sender)->Send(feed, stop, instances_done);
  if (!report.ok()) return report.error();
  nlohmann::ordered_json where = (*sender)->Where();
  where["destination"] = {{"id", found->id}, {"name", found->name}};
  return PushedExport{report->Json(where).dump(), report->Refusals()};
}

void Destinations::Audit(const ExportAttempt& attempt, const Principal& principal,
                         const DestinationRecord& destination, const Status& outcome,
                         std::string detail, bool refusal) {
  ExportAttempt audited = attempt;
  if (destination.id != 0) audited.target = "destination " + std::to_string(destination.id);
  AuditRecord record = AuditRecordOf(audited, principal);
  record.target_label = destination.name.empty() ? std::string("a destination")
                                                 : destination.name + " (" + destination.kind + ")";
  AuditCompletion completion;
  completion.detail = std::move(detail);
  if (!outcome.ok()) {
    // A refused request is denied; a destination that fails its test, failed.
    completion.outcome = outcome.error().http_status() < 500 && refusal ? AuditOutcome::kDenied
                                                                        : AuditOutcome::kFailed;
    completion.detail = std::string(outcome.error().name()) + ": " + outcome.error().message();
  }
  AuditAction(index_, record, completion);
}

}  // namespace pacsport::delivery
