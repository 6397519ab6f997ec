// GET /api/audit (filtered, paged), /api/audit/:id, /api/audit/:id/studies,
// /api/audit/export (CSV or JSON lines of a filtered range) and /api/audit/public-key.
// Admins see their own hospital's records only; nothing here changes a record.
#include <algorithm>
#include <array>
#include <regex>

#include "core/clock.h"
#include "core/names.h"
#include "export/record_json.h"
#include "http/request_parsing.h"
#include "http/responses.h"
#include "http/routes.h"

namespace pacsport::http {
namespace {

constexpr std::int64_t kExportPage = 500;
constexpr std::array<std::string_view, 6> kScopes = {"study",   "series",  "patient",
                                                     "studies", "patients", "all"};

Principal Admin(const HttpServices& services, const httplib::Request& req) {
  const Principal principal = Authenticate(req, services.jwt, services.index).ValueOrThrow();
  RequireRole(principal, {Role::kAdmin}).ThrowIfError();
  return principal;
}

// A date "YYYY-MM-DD" or a time "YYYY-MM-DDThh:mm[:ss[.fff]]Z", as records' startedAt.
std::string TimeParam(const httplib::Request& req, const std::string& name) {
  static const std::regex kIso(R"(\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?Z)?)");
  std::string value = TextParam(req, name);
  if (!value.empty() && !std::regex_match(value, kIso)) {
    throw ErrorException(
        InvalidInput(name + " must be a date (YYYY-MM-DD) or a UTC time (YYYY-MM-DDThh:mm:ssZ)"));
  }
  return value;
}

// The filters every listing shares, for `principal`'s hospital.
AuditQuery Filters(const httplib::Request& req, const Principal& principal) {
  AuditQuery query;
  query.hospital_id = principal.hospital_id;
  query.username = TextParam(req, "user");
  if (const std::string outcome = TextParam(req, "outcome"); !outcome.empty()) {
    query.outcome = ParseAuditOutcome(outcome);
    if (!query.outcome) {
      throw ErrorException(InvalidInput(
          "outcome must be in_progress, success, denied, failed, aborted or over_capacity"));
    }
  }
  query.since = TimeParam(req, "since");
  query.until = TimeParam(req, "until");
  query.scope = TextParam(req, "scope");
  if (!query.scope.empty() &&
      std::find(kScopes.begin(), kScopes.end(), query.scope) == kScopes.end()) {
    throw ErrorException(InvalidInput("scope must be study, series, patient, studies, patients or all"));
  }
  query.patient_id = TextParam(req, "patientId");
  query.study_uid = TextParam(req, "studyUid");
  return query;
}

RowId RecordId(const httplib::Request& req) {
  try {
    return std::stoll(req.matches[1]);
  } catch (const std::out_of_range&) {
    throw ErrorException(NotFound("no such audit record"));
  }
}

// One CSV field (RFC 4180), with a leading = + - @ made inert for spreadsheets
// (a patient name could otherwise run as a formula).
std::string CsvField(std::string_view value) {
  std::string text(value);
  if (!text.empty() && std::string_view("=+-@\t\r").find(text.front()) != std::string_view::npos) {
    text.insert(0, "'");
  }
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

constexpr std::string_view kCsvHeader =
    "id,startedAt,username,role,hospital,clientAddress,requestId,endpoint,scope,target,"
    "targetLabel,outcome,detail,bytesSent,entries,instances,studyCount,contentSha256,"
    "durationMs,chainSeq,recordHash\r\n";

std::string CsvLine(const AuditRecord& r) {
  const std::string fields[] = {std::to_string(r.id),
                                r.started_at,
                                r.username,
                                r.role,
                                r.hospital_name,
                                r.client_address,
                                r.request_id,
                                r.endpoint,
                                r.scope,
                                r.target,
                                r.target_label,
                                std::string(AuditOutcomeName(r.outcome)),
                                r.detail,
                                std::to_string(r.bytes_sent),
                                std::to_string(r.entries),
                                std::to_string(r.instances),
                                std::to_string(r.study_count),
                                r.content_sha256,
                                std::to_string(r.duration_ms),
                                r.chain_seq ? std::to_string(*r.chain_seq) : "",
                                r.record_hash};
  std::string line;
  for (const std::string& field : fields) {
    if (!line.empty()) line += ',';
    line += CsvField(field);
  }
  return line + "\r\n";
}

std::string JsonLine(const AuditRecord& r) {
  return AuditJson(r).dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

// GET /api/audit/export: every record of the filter, newest first, read a page at a
// time as the client takes them. Records opened after the request are left out, so
// that the pages do not shift under the export.
void SendExport(const HttpServices& services, const httplib::Request& req, httplib::Response& res) {
  const Principal principal = Admin(services, req);
  AuditQuery query = Filters(req, principal);
  const std::string format = TextParam(req, "format");
  if (format != "csv" && format != "jsonl") {
    throw ErrorException(InvalidInput("format must be csv or jsonl"));
  }
  const std::string now = Iso8601(std::chrono::system_clock::now());
  if (query.until.empty() || query.until > now) query.until = now;
  query.page = {0, kExportPage};
  const bool csv = format == "csv";
  std::string stamp = now;
  std::erase_if(stamp, [](char c) { return c == ':' || c == '-' || c == '.'; });
  const std::string name = "audit_" + SanitizePathComponent(principal.hospital_name) + "_" + stamp +
                           (csv ? ".csv" : ".jsonl");
  res.set_header("Content-Disposition", ContentDisposition(name));
  res.set_header("Cache-Control", "no-store");
  auto state = std::make_shared<AuditQuery>(query);
  auto started = std::make_shared<bool>(false);
  res.set_chunked_content_provider(
      csv ? "text/csv; charset=utf-8" : "application/x-ndjson",
      [&services, state, started, csv](size_t, httplib::DataSink& sink) {
        std::string chunk;
        if (!*started && csv) chunk = kCsvHeader;
        *started = true;
        auto page = services.index.ListAudit(*state);
        if (!page.ok()) return false;  // ends the response unfinished: never a short file
        for (const AuditRecord& r : page->items) chunk += csv ? CsvLine(r) : JsonLine(r);
        if (!chunk.empty() && !sink.write(chunk.data(), chunk.size())) return false;
        state->page.offset += kExportPage;
        if (page->items.empty() || state->page.offset >= page->total) sink.done();
        return true;
      });
}

}  // namespace

void RegisterAuditRoutes(Router& router, const HttpServices& services) {
  router.Get(R"(/api/audit)", "/api/audit",
             [&services](const httplib::Request& req, httplib::Response& res) {
               const Principal principal = Admin(services, req);
               AuditQuery query = Filters(req, principal);
               query.page = PageParams(req).ValueOrThrow();
               auto page = services.index.ListAudit(query).ValueOrThrow();
               nlohmann::ordered_json records = nlohmann::ordered_json::array();
               for (const AuditRecord& record : page.items) records.push_back(AuditJson(record));
               SendJson(res, {{"records", records},
                              {"total", page.total},
                              {"offset", query.page.offset},
                              {"limit", query.page.limit}});
             });
  router.Get(R"(/api/audit/export)", "/api/audit/export",
             [&services](const httplib::Request& req, httplib::Response& res) {
               SendExport(services, req, res);
             });
  // The key is public by nature: a recipient of an archive checks its receipt with it.
  router.Get(R"(/api/audit/public-key)", "/api/audit/public-key",
             [&services](const httplib::Request&, httplib::Response& res) {
               SendJson(res, {{"algorithm", "Ed25519"},
                              {"keyId", services.audit_key.id()},
                              {"publicKey", services.audit_key.Base64()}});
             });
  router.Get(
      R"(/api/audit/(\d{1,19}))", "/api/audit/:id",
      [&services](const httplib::Request& req, httplib::Response& res) {
        const Principal principal = Admin(services, req);
        SendJson(res,
                 AuditJson(
                     services.index.GetAudit(principal.hospital_id, RecordId(req)).ValueOrThrow()));
      });
  router.Get(
      R"(/api/audit/(\d{1,19})/studies)", "/api/audit/:id/studies",
      [&services](const httplib::Request& req, httplib::Response& res) {
        const Principal principal = Admin(services, req);
        const RowId id = RecordId(req);
        services.index.GetAudit(principal.hospital_id, id).ValueOrThrow();  // 404
        const PageRequest page = PageParams(req).ValueOrThrow();
        auto studies = services.index.ListAuditStudies(id, page).ValueOrThrow();
        nlohmann::ordered_json items = nlohmann::ordered_json::array();
        for (const AuditStudy& study : studies.items) {
          items.push_back({{"studyInstanceUID", study.study_uid}, {"patientID", study.patient_id}});
        }
        SendJson(res, {{"studies", items},
                       {"total", studies.total},
                       {"offset", page.offset},
                       {"limit", page.limit}});
      });
}

}  // namespace pacsport::http
