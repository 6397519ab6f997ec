#include "index/schema.h"

#include <span>

namespace pacsport {
namespace {

// "$PK" stands for the dialect's surrogate key type. Strings that come from DICOM
// are NOT NULL, empty when absent; a NULL marks a missing number or AI result.
// Dates and times are text: DICOM DA/TM values, ISO 8601 UTC for our own stamps.
constexpr std::string_view kVersion1[] = {
    R"(CREATE TABLE hospitals (
         id $PK,
         name TEXT NOT NULL UNIQUE,
         created_at TEXT NOT NULL))",

    R"(CREATE TABLE users (
         id $PK,
         username TEXT NOT NULL UNIQUE,
         hospital_id BIGINT NOT NULL REFERENCES hospitals (id),
         role TEXT NOT NULL,
         password_hash TEXT NOT NULL,
         created_at TEXT NOT NULL))",
    "CREATE INDEX users_hospital ON users (hospital_id)",

    R"(CREATE TABLE patients (
         id $PK,
         hospital_id BIGINT NOT NULL REFERENCES hospitals (id),
         patient_id TEXT NOT NULL,
         name TEXT NOT NULL,
         birth_date TEXT NOT NULL,
         sex TEXT NOT NULL,
         UNIQUE (hospital_id, patient_id)))",
    "CREATE INDEX patients_name ON patients (hospital_id, name)",

    // modalities: the distinct non-empty modalities of the study's series, sorted
    // and joined by '\' (DICOM ModalitiesInStudy), kept up to date on ingest so
    // that listings can filter and sort on it. ai_models: a JSON array of strings.
    R"(CREATE TABLE studies (
         id $PK,
         hospital_id BIGINT NOT NULL REFERENCES hospitals (id),
         patient_row BIGINT NOT NULL REFERENCES patients (id),
         study_uid TEXT NOT NULL,
         study_date TEXT NOT NULL,
         study_time TEXT NOT NULL,
         description TEXT NOT NULL,
         accession TEXT NOT NULL,
         modalities TEXT NOT NULL,
         ai_analysis TEXT,
         ai_models TEXT NOT NULL,
         ai_analyzed_at TEXT NOT NULL,
         UNIQUE (hospital_id, study_uid)))",
    "CREATE INDEX studies_patient ON studies (patient_row, study_date)",
    "CREATE INDEX studies_date ON studies (hospital_id, study_date)",

    R"(CREATE TABLE series (
         id $PK,
         study_row BIGINT NOT NULL REFERENCES studies (id),
         series_uid TEXT NOT NULL,
         series_number BIGINT,
         modality TEXT NOT NULL,
         description TEXT NOT NULL,
         UNIQUE (study_row, series_uid)))",
    "CREATE INDEX series_modality ON series (modality, study_row)",

    // hospital_id repeats the study's hospital so that a SOP Instance UID is unique
    // per hospital. (source, location_key) names where the bytes are stored.
    R"(CREATE TABLE instances (
         id $PK,
         hospital_id BIGINT NOT NULL REFERENCES hospitals (id),
         series_row BIGINT NOT NULL REFERENCES series (id),
         sop_uid TEXT NOT NULL,
         sop_class_uid TEXT NOT NULL,
         instance_number BIGINT,
         frames BIGINT NOT NULL,
         transfer_syntax TEXT NOT NULL,
         size_bytes BIGINT NOT NULL,
         sha256 TEXT NOT NULL,
         orthanc_id TEXT NOT NULL,
         source TEXT NOT NULL,
         location_key TEXT NOT NULL,
         UNIQUE (hospital_id, sop_uid)))",
    "CREATE INDEX instances_series ON instances (series_row)",
    "CREATE INDEX instances_location ON instances (source, location_key)",

    // An append-only log: hospital_id is deliberately not a foreign key, and the
    // names are copied, so that a record outlives any change to what it names.
    R"(CREATE TABLE audit (
         id $PK,
         started_at TEXT NOT NULL,
         username TEXT NOT NULL,
         hospital_id BIGINT,
         hospital_name TEXT NOT NULL,
         client_address TEXT NOT NULL,
         endpoint TEXT NOT NULL,
         target TEXT NOT NULL,
         parameters TEXT NOT NULL,
         outcome TEXT NOT NULL,
         detail TEXT NOT NULL,
         bytes_sent BIGINT NOT NULL,
         entries BIGINT NOT NULL,
         duration_ms BIGINT NOT NULL))",
    "CREATE INDEX audit_hospital_time ON audit (hospital_id, started_at)",
    "CREATE INDEX audit_time ON audit (started_at)",
    "CREATE INDEX audit_outcome ON audit (outcome)",
};

// Version 2: PACS sources. A source's cursor is the last change of its feed that
// the index has taken in; a source without a row has never been scanned.
constexpr std::string_view kVersion2[] = {
    R"(CREATE TABLE source_cursors (
         source TEXT NOT NULL PRIMARY KEY,
         last_change BIGINT NOT NULL,
         synced_at TEXT NOT NULL))",
};

// Version 3: each export record names its request (X-Request-Id, as in the access log).
constexpr std::string_view kVersion3[] = {
    "ALTER TABLE audit ADD COLUMN request_id TEXT NOT NULL DEFAULT ''",
};

// Version 4: PACS sources that change under pacsport. source_revision is the
// source's own name for the bytes indexed (Orthanc's attachment UUID), which changes
// when an instance is replaced under the same key; '' when the source has none or the
// instance was indexed before this version. detached_ai_analyses holds the AI results
// of a study pruned because its source no longer held any of its instances, until the
// study is indexed again (models is a JSON array of strings, as in studies).
constexpr std::string_view kVersion4[] = {
    "ALTER TABLE instances ADD COLUMN source_revision TEXT NOT NULL DEFAULT ''",
    R"(CREATE TABLE detached_ai_analyses (
         hospital_id BIGINT NOT NULL REFERENCES hospitals (id),
         study_uid TEXT NOT NULL,
         analysis TEXT NOT NULL,
         models TEXT NOT NULL,
         analyzed_at TEXT NOT NULL,
         detached_at TEXT NOT NULL,
         PRIMARY KEY (hospital_id, study_uid)))",
};

// Version 5: export jobs (export/export_jobs.h). seq orders them; id is the public,
// unguessable name. archive_sha256 is '' while a job has no archive.
constexpr std::string_view kVersion5[] = {
    R"(CREATE TABLE export_jobs (
         seq $PK,
         id TEXT NOT NULL UNIQUE,
         hospital_id BIGINT NOT NULL REFERENCES hospitals (id),
         hospital_name TEXT NOT NULL,
         username TEXT NOT NULL,
         role TEXT NOT NULL,
         request TEXT NOT NULL,
         archive_name TEXT NOT NULL,
         state TEXT NOT NULL,
         created_at TEXT NOT NULL,
         started_at TEXT NOT NULL,
         finished_at TEXT NOT NULL,
         instances_done BIGINT NOT NULL,
         instances_total BIGINT NOT NULL,
         bytes_done BIGINT NOT NULL,
         bytes_total BIGINT NOT NULL,
         error TEXT NOT NULL,
         archive_size BIGINT NOT NULL,
         archive_sha256 TEXT NOT NULL,
         expires_at TEXT NOT NULL))",
    "CREATE INDEX export_jobs_hospital ON export_jobs (hospital_id, username, seq)",
    "CREATE INDEX export_jobs_state ON export_jobs (state, seq)",
};

// Version 6: what the export estimate needs (issue 13). deflated_bytes is the file's
// size deflated, measured at ingest (ingest/deflated_size.h); NULL for encapsulated
// transfer syntaxes (stored in exports) and for instances indexed before this version.
// pixel_rows, pixel_columns, samples_per_pixel, bits_allocated: the pixel data's
// geometry, by which previews are sized; NULL when unknown (indexed before this
// version), 0 when the object has no pixel data.
constexpr std::string_view kVersion6[] = {
    "ALTER TABLE instances ADD COLUMN deflated_bytes BIGINT",
    "ALTER TABLE instances ADD COLUMN pixel_rows BIGINT",
    "ALTER TABLE instances ADD COLUMN pixel_columns BIGINT",
    "ALTER TABLE instances ADD COLUMN samples_per_pixel BIGINT",
    "ALTER TABLE instances ADD COLUMN bits_allocated BIGINT",
};

// Version 7: complete, sealed audit records (index/audit_chain.h). chain_seq is NULL
// while a record is in progress; audit_studies lists the studies in its scope;
// audit_archives records each retention archive that took the chain's oldest records;
// audit_forwarding, how far each audit repository has been sent the chain.
constexpr std::string_view kVersion7[] = {
    "ALTER TABLE audit ADD COLUMN role TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE audit ADD COLUMN scope TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE audit ADD COLUMN target_label TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE audit ADD COLUMN instances BIGINT NOT NULL DEFAULT 0",
    "ALTER TABLE audit ADD COLUMN study_count BIGINT NOT NULL DEFAULT 0",
    "ALTER TABLE audit ADD COLUMN content_sha256 TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE audit ADD COLUMN chain_seq BIGINT",
    "ALTER TABLE audit ADD COLUMN prev_hash TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE audit ADD COLUMN record_hash TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE audit ADD COLUMN key_id TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE audit ADD COLUMN signature TEXT NOT NULL DEFAULT ''",
    "CREATE UNIQUE INDEX audit_chain ON audit (chain_seq)",
    R"(CREATE TABLE audit_studies (
         audit_id BIGINT NOT NULL REFERENCES audit (id),
         study_uid TEXT NOT NULL,
         patient_id TEXT NOT NULL,
         PRIMARY KEY (audit_id, study_uid)))",
    "CREATE INDEX audit_studies_study ON audit_studies (study_uid)",
    "CREATE INDEX audit_studies_patient ON audit_studies (patient_id)",
    R"(CREATE TABLE audit_archives (
         through_seq BIGINT NOT NULL PRIMARY KEY,
         last_hash TEXT NOT NULL,
         file TEXT NOT NULL,
         file_sha256 TEXT NOT NULL,
         records BIGINT NOT NULL,
         archived_at TEXT NOT NULL))",
    R"(CREATE TABLE audit_forwarding (
         destination TEXT NOT NULL PRIMARY KEY,
         last_seq BIGINT NOT NULL))",
};

// Version 8: delivery of export jobs (delivery/destinations.h). A job names its
// destination and schedule by id (0: none; no foreign key, a job outlives both).
// delivery_links: single-use links to a job's archive sent by e-mail, by the SHA-256
// of their token (the token itself is never stored); used_at '' until used.
constexpr std::string_view kVersion8[] = {
    "ALTER TABLE export_jobs ADD COLUMN destination_id BIGINT NOT NULL DEFAULT 0",
    "ALTER TABLE export_jobs ADD COLUMN delivered_to TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE export_jobs ADD COLUMN schedule_id BIGINT NOT NULL DEFAULT 0",
    "CREATE INDEX export_jobs_schedule ON export_jobs (schedule_id, seq)",
    R"(CREATE TABLE destinations (
         id $PK,
         hospital_id BIGINT NOT NULL REFERENCES hospitals (id),
         name TEXT NOT NULL,
         kind TEXT NOT NULL,
         settings TEXT NOT NULL,
         secrets TEXT NOT NULL,
         secret_names TEXT NOT NULL,
         created_by TEXT NOT NULL,
         created_at TEXT NOT NULL,
         updated_at TEXT NOT NULL,
         UNIQUE (hospital_id, name)))",
    R"(CREATE TABLE delivery_links (
         token_sha256 TEXT NOT NULL PRIMARY KEY,
         job_id TEXT NOT NULL,
         hospital_id BIGINT NOT NULL REFERENCES hospitals (id),
         created_at TEXT NOT NULL,
         expires_at TEXT NOT NULL,
         used_at TEXT NOT NULL))",
    "CREATE INDEX delivery_links_job ON delivery_links (job_id)",
};

// Version 9: scheduled exports (delivery/schedules.h) and what incremental runs need.
// studies.change_seq is the change sequence number of the study's latest change (0:
// before this version); change_sequence holds the last number handed out, taken with
// an UPDATE inside the changing transaction, so numbers follow commit order (the row
// stays locked until commit) and a reader that sees number N sees every change up to
// N. schedule_runs: each run's job and the watermark its export reaches.
constexpr std::string_view kVersion9[] = {
    "ALTER TABLE studies ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0",
    "CREATE INDEX studies_change ON studies (hospital_id, change_seq)",
    "CREATE TABLE change_sequence (value BIGINT NOT NULL)",
    "INSERT INTO change_sequence (value) VALUES (0)",
    R"(CREATE TABLE schedules (
         id $PK,
         hospital_id BIGINT NOT NULL REFERENCES hospitals (id),
         name TEXT NOT NULL,
         cron TEXT NOT NULL,
         time_zone TEXT NOT NULL,
         request TEXT NOT NULL,
         destination_id BIGINT NOT NULL,
         incremental INTEGER NOT NULL,
         enabled INTEGER NOT NULL,
         owner TEXT NOT NULL,
         next_run_at TEXT NOT NULL,
         last_run_at TEXT NOT NULL,
         last_job TEXT NOT NULL,
         created_at TEXT NOT NULL,
         updated_at TEXT NOT NULL))",
    "CREATE INDEX schedules_hospital ON schedules (hospital_id, id)",
    "CREATE INDEX schedules_due ON schedules (enabled, next_run_at)",
    R"(CREATE TABLE schedule_runs (
         job_id TEXT NOT NULL PRIMARY KEY,
         schedule_id BIGINT NOT NULL,
         ran_at TEXT NOT NULL,
         changes_through BIGINT NOT NULL))",
    "CREATE INDEX schedule_runs_schedule ON schedule_runs (schedule_id)",
};

// Version 10: patients.name_key, the name's search key (index/name_search.h), which
// LIKE matches accent- and case-insensitively on every dialect. SqlIndex::Migrate
// computes it for the patients recorded before this version (kNameKeyVersion).
constexpr std::string_view kVersion10[] = {
    "ALTER TABLE patients ADD COLUMN name_key TEXT NOT NULL DEFAULT ''",
};

// Version 11: state that any replica's next request may need (docs/decisions/0023).
// download_links: browser download links (http/download_links.h), the token only as
// its SHA-256; request is the ExportRequest as JSON (export_job_request.h), '' for a
// link to job_id's archive; spent is 1 once redeemed or revoked; a row is swept at
// forget_at. login_series: failed-login series per username or address
// (auth/login_rate_limiter.h), times in milliseconds since the Unix epoch,
// by_counterpart a JSON array of [name, failures]; a row is swept at stale_at_ms.
constexpr std::string_view kVersion11[] = {
    R"(CREATE TABLE download_links (
         token_sha256 TEXT NOT NULL PRIMARY KEY,
         username TEXT NOT NULL,
         hospital_id BIGINT NOT NULL,
         hospital_name TEXT NOT NULL,
         role TEXT NOT NULL,
         request TEXT NOT NULL,
         job_id TEXT NOT NULL,
         created_at TEXT NOT NULL,
         expires_at TEXT NOT NULL,
         forget_at TEXT NOT NULL,
         spent INTEGER NOT NULL,
         use_state TEXT NOT NULL,
         error_code TEXT NOT NULL,
         error_message TEXT NOT NULL))",
    "CREATE INDEX download_links_forget ON download_links (forget_at)",
    R"(CREATE TABLE login_series (
         kind TEXT NOT NULL,
         name TEXT NOT NULL,
         started_ms BIGINT NOT NULL,
         blocked_until_ms BIGINT NOT NULL,
         stale_at_ms BIGINT NOT NULL,
         failures BIGINT NOT NULL,
         by_counterpart TEXT NOT NULL,
         PRIMARY KEY (kind, name)))",
    "CREATE INDEX login_series_stale ON login_series (stale_at_ms)",
};

// Version 12: several serve replicas on one index (docs/decisions/0024). A running job
// is held by its replica's lease (lease_owner until lease_expires_at, renewed while the
// replica lives); attempt counts its claims. audit.replica names the replica that opened
// a record ('' from the CLI), replicas holds each live replica's last heartbeat, and
// leases the named leases (one per Orthanc source's sync).
constexpr std::string_view kVersion12[] = {
    "ALTER TABLE export_jobs ADD COLUMN lease_owner TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE export_jobs ADD COLUMN lease_expires_at TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE export_jobs ADD COLUMN attempt BIGINT NOT NULL DEFAULT 0",
    "ALTER TABLE audit ADD COLUMN replica TEXT NOT NULL DEFAULT ''",
    R"(CREATE TABLE replicas (
         id TEXT NOT NULL PRIMARY KEY,
         started_at TEXT NOT NULL,
         heartbeat_at TEXT NOT NULL))",
    R"(CREATE TABLE leases (
         name TEXT NOT NULL PRIMARY KEY,
         owner TEXT NOT NULL,
         expires_at TEXT NOT NULL))",
};

constexpr std::span<const std::string_view> kMigrations[] = {
    kVersion1, kVersion2, kVersion3, kVersion4,  kVersion5,  kVersion6,
    kVersion7, kVersion8, kVersion9, kVersion10, kVersion11, kVersion12};
static_assert(std::size(kMigrations) == kLatestSchemaVersion);

std::string WithPrimaryKeyType(std::string_view statement, std::string_view id_primary_key) {
  constexpr std::string_view kToken = "$PK";
  std::string out(statement);
  for (auto at = out.find(kToken); at != std::string::npos;
       at = out.find(kToken, at + id_primary_key.size())) {
    out.replace(at, kToken.size(), id_primary_key);
  }
  return out;
}

}  // namespace

std::string_view SchemaVersionTableStatement() {
  return "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)";
}

std::vector<std::string> MigrationStatements(int version, std::string_view id_primary_key) {
  std::vector<std::string> statements;
  for (std::string_view statement : kMigrations[version - 1]) {
    statements.push_back(WithPrimaryKeyType(statement, id_primary_key));
  }
  return statements;
}

}  // namespace pacsport
