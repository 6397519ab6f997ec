// Index: pacsport's metadata catalogue of hospitals, users, patients, studies,
// series, instances, AI results and the export audit trail.
//
// Every query that returns patient data takes the caller's hospital id and never
// returns rows of another hospital: the same Patient ID, Study Instance UID or SOP
// Instance UID may exist in two hospitals and they are separate records.
//
// Implementations are thread-safe: any method may be called from any thread
// concurrently. Database faults are reported as ErrorCode::kUnavailable; nothing
// SQL-specific crosses this interface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/login_series_store.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/message_signer.h"
#include "core/records.h"

namespace pacsport {

struct HospitalRecord {
  RowId id = 0;
  std::string name;
};

struct UserRecord {
  RowId id = 0;
  std::string username;
  RowId hospital_id = 0;
  std::string hospital_name;
  Role role = Role::kUser;
  std::string password_hash;  // libsodium Argon2id string
};

// One page of a listing, plus the total number of matching rows.
template <typename T>
struct Page {
  std::vector<T> items;
  std::int64_t total = 0;
};

struct PageRequest {
  std::int64_t offset = 0;
  std::int64_t limit = 50;  // callers clamp to [1, 1000]
};

// A search's words (index/name_search.h) each match, in any order, the patient's
// name (case- and accent-insensitively) or, case-insensitively as a substring, one
// of the other searched fields. An empty search matches everything.
struct PatientQuery {
  std::string search;  // words of the name or Patient ID; empty = all
  PageRequest page;
};

// Every order but the dates' breaks ties by the newest study first, then by UID.
enum class StudySort {
  kDateDesc,
  kDateAsc,
  kPatientName,
  kPatientNameDesc,
  kModality,
  kModalityDesc,
  kDescription,
  kDescriptionDesc,
};

struct StudyQuery {
  std::optional<std::string> patient_id;  // only this patient's studies
  std::string search;                     // words of patient name/ID, description, accession, UID
  // Study Date bounds as DICOM DA (YYYYMMDD), inclusive; empty = unbounded. A bound
  // leaves out the studies without a date.
  std::string date_from;
  std::string date_to;
  std::string accession;                // case-insensitive substring of the Accession Number
  std::string birth_date;               // the patient's Birth Date as DICOM DA; empty = any
  std::vector<std::string> modalities;  // any of these among the study's; empty = all
  std::optional<bool> has_ai;           // with (true) or without (false) AI results
  StudySort sort = StudySort::kDateDesc;
  PageRequest page;
};

// One modality of a hospital's studies and how many studies have a series of it.
struct ModalityCount {
  std::string modality;
  std::int64_t studies = 0;
};

enum class IngestOutcome { kAdded, kAlreadyPresent };

// Where a new instance's file was stored and what it is.
struct StoredInstance {
  InstanceMetadata metadata;
  std::int64_t size = 0;
  std::string sha256;
  std::string orthanc_instance_id;
  InstanceLocation location;
  // The source's own name for these bytes (Orthanc's attachment UUID), read before
  // them; empty for the embedded store.
  std::string source_revision;
  // The file's size deflated (ingest/deflated_size.h); nullopt when not measured, as
  // for encapsulated transfer syntaxes, which exports store as they are.
  std::optional<std::int64_t> deflated_size;
};

// What the index holds of one instance of a PACS source.
struct SourceEntry {
  std::string key;        // the location key (Orthanc's instance ID)
  std::string revision;   // StoredInstance::source_revision; empty when unknown
  std::int64_t size = 0;  // bytes indexed
};

// kOverCapacity: refused because the server, the hospital or the user had no export
// slot left (429/503), which is neither the caller's fault (denied) nor a failure.
enum class AuditOutcome { kInProgress, kSuccess, kDenied, kFailed, kAborted, kOverCapacity };
std::string_view AuditOutcomeName(AuditOutcome outcome);
std::optional<AuditOutcome> ParseAuditOutcome(std::string_view name);

// One export attempt. Completed records are sealed into a hash chain (audit_chain.h):
// chain_seq numbers them in the order they were completed, record_hash covers their
// content, their studies and the previous record's hash, and signature is the
// server's Ed25519 signature of (chain_seq, record_hash). A sealed record never
// changes.
struct AuditRecord {
  RowId id = 0;
  std::string started_at;  // ISO 8601 UTC
  std::string username;    // empty when the caller was not authenticated
  std::string role;        // the caller's role ("" when not authenticated)
  std::optional<RowId> hospital_id;
  std::string hospital_name;
  std::string client_address;
  std::string request_id;    // the request's X-Request-Id, as in the access log ("" from the CLI)
  std::string endpoint;      // route pattern, e.g. "GET /api/export/study/:studyUID"
  std::string scope;         // study, patient, all, studies, patients ("" when unknown)
  std::string target;        // the patient ID or Study UID asked for ("" for all)
  std::string target_label;  // readable target, e.g. "DOE^JANE (PID-1)", "" until planned
  std::string parameters;    // JSON object of the export options
  AuditOutcome outcome = AuditOutcome::kInProgress;
  std::string detail;  // error code and message of a refused or failed export
  std::int64_t bytes_sent = 0;
  std::int64_t entries = 0;
  std::int64_t instances = 0;    // DICOM instances delivered
  std::int64_t study_count = 0;  // studies in scope, listed by ListAuditStudies
  std::string content_sha256;    // SHA-256 of the whole archive or JSON delivered
  std::int64_t duration_ms = 0;
  // The seal; chain_seq is empty while the record is in progress.
  std::optional<std::int64_t> chain_seq;
  std::string prev_hash;    // the previous sealed record's record_hash, "" for the first
  std::string record_hash;  // 64 hex digits
  std::string key_id;       // the signing key's id, "" when sealed without one
  std::string signature;    // base64, "" when sealed without a key
  std::string replica;      // the serve replica that opened it ("" from the CLI); not sealed
};

// A study in an export record's scope.
struct AuditStudy {
  std::string study_uid;
  std::string patient_id;
};

struct AuditCompletion {
  AuditOutcome outcome = AuditOutcome::kSuccess;
  std::string detail;
  std::string target_label;  // kept as recorded when empty
  std::int64_t bytes_sent = 0;
  std::int64_t entries = 0;
  std::int64_t instances = 0;
  std::string content_sha256;
  std::int64_t duration_ms = 0;
};

// A retention archive (audit/audit_archiver.h): the sealed records up to and including
// through_seq were written to `file` and removed from the index; last_hash is the
// record_hash of the last of them, which the next record's prev_hash names.
struct AuditArchive {
  std::int64_t through_seq = 0;
  std::string last_hash;
  std::string file;  // name in the archive directory
  std::string file_sha256;
  std::int64_t records = 0;
  std::string archived_at;  // ISO 8601 UTC
};

// How far the index has followed a PACS source's change feed.
struct SourceCursor {
  std::int64_t last_change = 0;  // the feed's sequence number last taken in
  std::string synced_at;         // ISO 8601 UTC of the pass that recorded it
};

struct AuditQuery {
  std::optional<RowId> hospital_id;  // empty only for the CLI, which sees every hospital
  std::string username;
  std::optional<AuditOutcome> outcome;
  std::string since;  // ISO 8601 lower bound on started_at, inclusive; empty = none
  std::string until;  // ISO 8601 upper bound, exclusive; empty = none
  std::string scope;
  std::string patient_id;  // records whose studies include one of this patient's
  std::string study_uid;   // records whose studies include this one
  PageRequest page;
};

// An export job (export/export_jobs.h), as the index keeps it. Times are ISO 8601 UTC,
// "" until they happen. A job with a destination goes on from running to delivering,
// then delivered (its archive sent, and kept as a done job's) or failed.
enum class JobState { kQueued, kRunning, kDone, kFailed, kCancelled, kDelivering, kDelivered };
std::string_view JobStateName(JobState state);
std::optional<JobState> ParseJobState(std::string_view name);

struct JobProgress {
  std::int64_t instances_done = 0;
  std::int64_t instances_total = 0;
  std::int64_t bytes_done = 0;
  std::int64_t bytes_total = 0;  // estimated until the job is done, then exact
};

struct JobRecord {
  std::string id;  // unguessable, URL-safe
  RowId hospital_id = 0;
  std::string hospital_name;
  std::string username;
  Role role = Role::kUser;   // the submitter's, when submitted
  std::string request;       // the export request as JSON (export/export_job_request.h)
  std::string archive_name;  // the download's file name
  JobState state = JobState::kQueued;
  std::string created_at;
  std::string started_at;
  std::string finished_at;
  JobProgress progress;
  std::string error;  // why it failed or was cancelled
  std::int64_t archive_size = 0;
  std::string archive_sha256;  // "" when there is no archive (yet, or any more)
  std::string expires_at;      // when a finished archive will be removed
  RowId destination_id = 0;    // where the archive is sent (a DestinationRecord); 0: nowhere
  std::string delivered_to;    // a JSON object naming where it went; "" until delivered
  RowId schedule_id = 0;       // the schedule that made the job; 0: a user did
  // The replica running it (core/replica_id.h) and until when, while running or
  // delivering; kept as it was once the job leaves those states. attempt counts the
  // claims (ClaimJob), 1 for the first run.
  std::string lease_owner;
  std::string lease_expires_at;
  std::int64_t attempt = 0;
};

// A lease taken or renewed at `now` (ISO 8601 UTC) by `owner` until `expires_at`.
struct LeaseTerms {
  std::string owner;
  std::string now;
  std::string expires_at;
};

// Who holds a named lease (AcquireLease) and until when.
struct LeaseHolder {
  std::string owner;
  std::string expires_at;
};

// What FailInterruptedAudits does with in-progress records that name no replica (a CLI
// process, or a schema version before replicas).
enum class UnownedAudits { kKeep, kFail };

// A place a hospital's export archives can be delivered to (delivery/destinations.h).
// settings is a JSON object shown to the hospital's users; secrets is the sealed
// (encrypted) JSON object of its credentials, secret_names the JSON array of their keys.
struct DestinationRecord {
  RowId id = 0;
  RowId hospital_id = 0;
  std::string name;  // unique within the hospital
  std::string kind;  // "s3", "azure-blob", "email"
  std::string settings;
  std::string secrets;
  std::string secret_names;
  std::string created_by;
  std::string created_at;
  std::string updated_at;
};

// A single-use link to a job's archive, sent by e-mail (delivery/email_sender.h). The
// token is kept only as its SHA-256. used_at is "" until the link is used.
struct DeliveryLink {
  std::string token_sha256;
  std::string job_id;
  RowId hospital_id = 0;
  std::string created_at;
  std::string expires_at;
  std::string used_at;
};

struct DeliveryLinkClaim {
  DeliveryLink link;     // as it was before the claim
  bool claimed = false;  // whether this claim used it (unused and unexpired before)
};

struct JobQuery {
  RowId hospital_id = 0;
  std::string username;  // only this user's jobs; empty = all of the hospital's
  PageRequest page;
  RowId schedule_id = 0;  // only the jobs this schedule made; 0 = any
};

// A scheduled export (delivery/schedules.h) as the index keeps it. Times are ISO 8601
// UTC, "" when none. request is the export's request as JSON (export_job_request.h)
// without "changes". next_run_at is the slot the schedule fires at next, "" while it
// is disabled; schedulers claim a slot by compare and set (ClaimScheduleSlot).
struct ScheduleRecord {
  RowId id = 0;
  RowId hospital_id = 0;
  std::string name;
  std::string cron;       // 5-field cron expression (delivery/cron_schedule.h)
  std::string time_zone;  // IANA name
  std::string request;
  RowId destination_id = 0;  // 0: the archive is kept, not sent
  bool incremental = false;
  bool enabled = true;
  std::string owner;  // the admin who created or last changed it; runs act as them
  std::string next_run_at;
  std::string last_run_at;
  std::string last_job;  // the job of the last run, "" when none
  std::string created_at;
  std::string updated_at;
  // Read only, from the schedule's runs: the newest one that ended done or delivered.
  std::string last_success_at;                       // its finished_at
  std::optional<std::int64_t> last_success_through;  // its change sequence watermark
};

// One run of a schedule: its job and, for an incremental schedule, the change
// sequence number its export reaches (ChangeRange::through).
struct ScheduleRun {
  RowId schedule_id = 0;
  std::string job_id;
  std::string ran_at;
  std::int64_t changes_through = 0;
};

// What the instances of a hospital, a patient, a study or a series add up to.
struct SnapshotTotals {
  std::int64_t instances = 0;
  std::int64_t bytes = 0;            // their stored sizes
  std::vector<std::string> sources;  // the sources their bytes are read from, sorted
};
enum class TotalsOf { kHospital, kPatient, kStudy, kSeries };

// Every patient of a snapshot's hospital, one at a time, in ListPatients order
// (name ignoring ASCII case, Patient ID). Streams from the database: holds one row at
// a time. Borrows its snapshot, which must outlive it; other snapshot calls may be
// made between two Next calls. Not thread-safe.
class PatientCursor {
 public:
  virtual ~PatientCursor() = default;
  // The next patient; nullopt after the last.
  virtual Result<std::optional<PatientRecord>> Next() = 0;
};

// IndexSnapshot: one hospital's data as it was when the snapshot was opened, read in
// one read transaction held until the snapshot is destroyed, on a database connection
// of its own. Writes made meanwhile (a PACS sync, an import) are not seen, so a long
// reader such as an export neither skips nor repeats what they add or remove, however
// often it reads the same rows. Each call answers as the Index call of the same name
// for the snapshot's hospital (kNotFound for another hospital's data). Holding a
// snapshot for long keeps the database from reclaiming the space of what was written
// meanwhile (SQLite: the WAL file grows until the snapshot ends).
// Not thread-safe: one thread at a time (any thread).
class IndexSnapshot {
 public:
  virtual ~IndexSnapshot() = default;

  virtual Result<PatientRecord> GetPatient(const std::string& patient_id) = 0;
  virtual Result<StudyRecord> GetStudy(const std::string& study_uid) = 0;
  // A patient's studies ordered as StudySort::kDateAsc; kNotFound for no such patient.
  virtual Result<std::vector<StudyRecord>> ListPatientStudies(const std::string& patient_id) = 0;
  // As Index::ListStudyInstances.
  virtual Result<std::vector<InstanceRecord>> ListStudyInstances(const std::string& study_uid) = 0;
  // The Study UID of the study holding the series with Series UID `series_uid`;
  // kNotFound for none. A Series UID the index holds in two studies of the hospital
  // (malformed data) names the one indexed first.
  virtual Result<std::string> FindSeriesStudy(const std::string& series_uid) = 0;
  // Every patient of the hospital (see PatientCursor).
  virtual Result<std::unique_ptr<PatientCursor>> ListAllPatients() = 0;
  // What the instances of the hospital (id ignored), of the patient with Patient ID
  // `id`, of the study with Study UID `id` or of the series with Series UID `id` add up
  // to; zeros for none.
  virtual Result<SnapshotTotals> Totals(TotalsOf of, const std::string& id) = 0;
  // The sources the hospital's instances are read from, sorted, found by seeks in the
  // index of locations (one per source), not by a scan of the instances as Totals.
  virtual Result<std::vector<std::string>> ListSources() = 0;
  // From now on, the snapshot's hospital holds only the studies changed in `range`
  // (an incremental export): ListAllPatients lists the patients with such a study,
  // ListPatientStudies those studies, Totals(kHospital) their instances. The other
  // calls are unaffected.
  virtual void LimitToChanges(const ChangeRange& range) = 0;
};

// The instances an export would hold, for its estimate: a hospital's, or those of
// some of its studies or patients.
inline constexpr std::size_t kMaxScopeIds = 10000;

struct ExportScopeQuery {
  enum class Kind { kHospital, kStudies, kPatients, kSeries };
  Kind kind = Kind::kHospital;
  // Study UIDs (kStudies), Patient IDs (kPatients) or Series UIDs (kSeries), distinct
  std::vector<std::string> ids;
};

// Sums over the instances of a scope that share one pixel geometry and one kind of
// transfer syntax. Text lengths count characters (bytes for ASCII).
struct InstanceGroupTotals {
  // The pixel geometry; nullopt when unknown (indexed before schema version 5), 0 when
  // the instances have no pixel data.
  std::optional<std::int64_t> rows;
  std::optional<std::int64_t> columns;
  std::optional<std::int64_t> samples_per_pixel;
  std::optional<std::int64_t> bits_allocated;
  bool encapsulated = false;      // a compressed transfer syntax (JPEG family, RLE)
  bool deflated_dataset = false;  // Deflated Explicit VR Little Endian (1.2.840.10008.1.2.1.99)
  std::int64_t instances = 0;
  std::int64_t frames = 0;
  std::int64_t bytes = 0;           // the files as stored
  std::int64_t measured_bytes = 0;  // of `bytes`, the files whose deflated size is known
  std::int64_t deflated_bytes = 0;  // their deflated size (StoredInstance::deflated_size)
  // The instances' values in the metadata document: identifiers, transfer syntax,
  // SHA-256, Orthanc ID and numbers as decimal text (4 for a null number).
  std::int64_t text_chars = 0;
  std::int64_t folder_chars = 0;        // their study UIDs' and Patient IDs' lengths
  std::int64_t frame_folder_chars = 0;  // the same, once per frame
};

struct ExportScopeTotals {
  std::int64_t patients = 0;
  std::int64_t studies = 0;
  // The records' values in the metadata document, as InstanceGroupTotals::text_chars;
  // a study's AI results count as stored (compact JSON).
  std::int64_t patient_text_chars = 0;
  std::int64_t study_text_chars = 0;
  std::vector<InstanceGroupTotals> groups;
};

// One series of a study as the study's series list shows it.
struct SeriesSummary {
  std::string series_instance_uid;
  std::optional<std::int64_t> series_number;
  std::string modality;
  std::string description;
  std::int64_t instances = 0;
  std::int64_t bytes = 0;  // the instances' stored sizes
};

// The sessions of an index's pool in this process, for /metrics.
struct SessionPoolUse {
  std::size_t in_use = 0;  // leased to a transaction now
  std::size_t size = 0;    // 0: the index has no pool
};

// A browser download link (http/download_links.h) as the index keeps it, the token
// only as its SHA-256. Times are ISO 8601 UTC. request is the ExportRequest as JSON
// (export_job_request.h), "" for a link to job `job_id`'s archive. A link is valid
// while unspent and before expires_at; it is remembered, to audit a refused use and
// to tell how its use ended, until forget_at.
struct DownloadLinkRecord {
  std::string token_sha256;
  Principal principal;
  std::string request;
  std::string job_id;
  std::string created_at;
  std::string expires_at;
  std::string forget_at;
  bool spent = false;                 // redeemed or revoked
  std::string use_state = "pending";  // pending, streaming, completed or failed
  std::string error_code;             // why its use failed (Error::name()), "" otherwise
  std::string error_message;
};

// The index is also where the login throttling of every replica counts
// (auth/login_series_store.h; sql_login_series.cpp).
class Index : public auth::LoginSeriesStore {
 public:
  virtual ~Index() = default;

  // Hospitals and users. AddHospital/AddUser answer kConflict when the name exists.
  virtual Result<RowId> AddHospital(const std::string& name) = 0;
  virtual Result<HospitalRecord> FindHospital(const std::string& name) = 0;
  virtual Status AddUser(const std::string& username, RowId hospital_id, Role role,
                         const std::string& password_hash) = 0;
  virtual Result<UserRecord> FindUser(const std::string& username) = 0;  // kNotFound

  // Records one stored instance, creating its patient, study and series as needed,
  // in one transaction. Idempotent on (hospital, SOP Instance UID): a second call
  // changes nothing and answers kAlreadyPresent. A Study UID already recorded under
  // another patient of the same hospital keeps its first patient; the instance joins
  // that study. A study created again gets back the AI results it had when it was
  // pruned (RemoveSourceInstances), unless it has new ones.
  virtual Result<IngestOutcome> AddInstance(RowId hospital_id, const StoredInstance& instance) = 0;
  // True when some instance of any hospital still refers to this location; the
  // store uses it to decide whether a content-addressed file may be removed.
  virtual Result<bool> IsLocationReferenced(const InstanceLocation& location) = 0;

  // PACS sources. Every instance indexed from `source`, in no particular order.
  virtual Result<std::vector<SourceEntry>> ListSourceInstances(const std::string& source) = 0;
  // The instance indexed at `location`; nullopt when none is.
  virtual Result<std::optional<SourceEntry>> FindSourceInstance(
      const InstanceLocation& location) = 0;
  // Removes the instances at these keys of `source`, then every series, study and
  // patient they leave empty, in one transaction; returns how many were removed. A
  // study pruned so keeps its AI results aside (see AddInstance).
  virtual Result<std::int64_t> RemoveSourceInstances(const std::string& source,
                                                     const std::vector<std::string>& keys) = 0;
  // The source holds other bytes under the key of an indexed instance: in one
  // transaction, removes the instance at `instance.location` and adds `instance` as
  // AddInstance does, pruning only what is left empty after both (so a study replaced
  // in place keeps its AI results). Answers as AddInstance: kAlreadyPresent when
  // another location of the hospital holds its SOP Instance UID (the instance at
  // `instance.location` is removed all the same).
  virtual Result<IngestOutcome> ReplaceSourceInstance(RowId hospital_id,
                                                      const StoredInstance& instance) = 0;
  // Records each entry's revision for its key of `source`, leaving the indexed bytes'
  // description as it is; keys not indexed are ignored. One transaction.
  virtual Status SetSourceRevisions(const std::string& source,
                                    const std::vector<SourceEntry>& entries) = 0;
  // The source's cursor; nullopt when it has never been scanned.
  virtual Result<std::optional<SourceCursor>> GetSourceCursor(const std::string& source) = 0;
  virtual Status SetSourceCursor(const std::string& source, const SourceCursor& cursor) = 0;

  // Browsing, scoped to one hospital. Get* answer kNotFound for another hospital's data.
  // The hospital's patients by name. A patient without a Patient ID (type 2 in DICOM,
  // so possibly empty) is not listed: its studies belong to unrelated people, which
  // the studies listing shows as unidentified studies (StudyQuery::patient_id "").
  virtual Result<Page<PatientRecord>> ListPatients(RowId hospital_id, const PatientQuery& q) = 0;
  virtual Result<PatientRecord> GetPatient(RowId hospital_id, const std::string& patient_id) = 0;
  virtual Result<Page<StudyRecord>> ListStudies(RowId hospital_id, const StudyQuery& q) = 0;
  virtual Result<StudyRecord> GetStudy(RowId hospital_id, const std::string& study_uid) = 0;
  // The modalities of the hospital's series, by name, each with its number of studies.
  virtual Result<std::vector<ModalityCount>> ListModalityCounts(RowId hospital_id) = 0;
  // A study's instances ordered by series number, instance number, then SOP
  // Instance UID (missing numbers sort last), the order of the export contract.
  virtual Result<std::vector<InstanceRecord>> ListStudyInstances(RowId hospital_id,
                                                                 const std::string& study_uid) = 0;

  // A study's series ordered by series number (missing numbers last), then Series UID;
  // kNotFound for no such study of the hospital.
  virtual Result<std::vector<SeriesSummary>> ListStudySeries(RowId hospital_id,
                                                             const std::string& study_uid) = 0;

  // A snapshot of `hospital_id`'s data for a long reader (see IndexSnapshot).
  // kUnavailable when no connection can be opened.
  virtual Result<std::unique_ptr<IndexSnapshot>> OpenSnapshot(RowId hospital_id) = 0;
  // What an export of `query` would hold, summed in the database (no record is
  // loaded). Ids the hospital does not have are ignored: the caller compares
  // `patients` or `studies` with their number. kInvalidInput for more than
  // kMaxScopeIds ids.
  virtual Result<ExportScopeTotals> SumExportScope(RowId hospital_id,
                                                   const ExportScopeQuery& query) = 0;

  // Stores a study's AI results; analysis_json must be a JSON object (the caller
  // validates). kNotFound for an unknown study.
  virtual Status SetAiAnalysis(RowId hospital_id, const std::string& study_uid,
                               const std::string& analysis_json,
                               const std::vector<std::string>& models,
                               const std::string& analyzed_at) = 0;

  // Audit trail (audit_chain.h). OpenAudit inserts a record (outcome as given,
  // normally kInProgress) and returns its id. AddAuditStudies lists studies in its
  // scope, while it is in progress. CompleteAudit sets its final outcome exactly once
  // and seals it, signed by the signer set (unsigned without one), in one transaction.
  virtual void SetAuditSigner(std::shared_ptr<const MessageSigner> signer) = 0;
  // The replica named by OpenAudit in the records it opens without one (a serve
  // replica's id; "" by default, as for the CLI). Call before any record is opened.
  virtual void SetAuditReplica(std::string replica) = 0;
  virtual Result<RowId> OpenAudit(const AuditRecord& record) = 0;
  virtual Status AddAuditStudies(RowId id, const std::vector<AuditStudy>& studies) = 0;
  virtual Status CompleteAudit(RowId id, const AuditCompletion& completion) = 0;
  // Newest first. A record is another hospital's (kNotFound) unless `hospital_id`
  // is empty (the CLI).
  virtual Result<Page<AuditRecord>> ListAudit(const AuditQuery& q) = 0;
  virtual Result<AuditRecord> GetAudit(std::optional<RowId> hospital_id, RowId id) = 0;
  // A record's studies, by Study UID.
  virtual Result<Page<AuditStudy>> ListAuditStudies(RowId id, const PageRequest& page) = 0;
  // Sealed records in chain order from `after_seq` + 1, at most `limit`.
  virtual Result<std::vector<AuditRecord>> ListSealedAudit(std::int64_t after_seq,
                                                           std::size_t limit) = 0;
  // Removes the sealed records through `archive.through_seq` (and their studies) and
  // records `archive`, in one transaction; kConflict unless they follow the last
  // archive. LastAuditArchive is nullopt before the first.
  virtual Status RecordAuditArchive(const AuditArchive& archive) = 0;
  virtual Result<std::optional<AuditArchive>> LastAuditArchive() = 0;
  // How far the sealed chain has been sent to `destination` (an audit record
  // repository, audit/audit_forwarder.h): 0 before anything was.
  virtual Result<std::int64_t> GetAuditForwarded(const std::string& destination) = 0;
  virtual Status SetAuditForwarded(const std::string& destination, std::int64_t last_seq) = 0;
  // Marks as failed, with detail "interrupted", the records in progress of replicas
  // that died mid-export: those of a replica whose last heartbeat (RecordHeartbeat) is
  // before `alive_since` or that has none, and with kFail those naming no replica. Then
  // seals every completed record that is not (records of schema versions before the
  // chain) and forgets the dead replicas. Returns how many were marked.
  virtual Result<std::int64_t> FailInterruptedAudits(const std::string& alive_since,
                                                     UnownedAudits unowned) = 0;

  // Export jobs. AddJob inserts a new job (kConflict when the id exists). GetJob
  // answers kNotFound for another hospital's job. ListJobs is newest first.
  virtual Status AddJob(const JobRecord& job) = 0;
  virtual Result<JobRecord> GetJob(RowId hospital_id, const std::string& id) = 0;
  virtual Result<Page<JobRecord>> ListJobs(const JobQuery& q) = 0;
  // Every hospital's jobs in `state`, oldest first: the queue, or the kept archives.
  virtual Result<std::vector<JobRecord>> ListJobsInState(JobState state) = 0;
  // Sets job `to.id`'s state, times, progress, error and archive fields to `to`'s if
  // and only if it is in state `from` and its lease_owner is `to.lease_owner` (compare
  // and set, so that two writers, say a cancel and the job's end, or a replica and the
  // one that took its job over, cannot both win). Returns whether it was.
  virtual Result<bool> TransitionJob(JobState from, const JobRecord& to) = 0;
  // Records the progress of a job running or delivering under `owner`'s lease; returns
  // false (nothing changed) when it is not (any more): cancelled, or taken over.
  virtual Result<bool> SetJobProgress(const std::string& id, const std::string& owner,
                                      const JobProgress& progress) = 0;

  // Job leases (several serve replicas on one index, docs/decisions/0024). The jobs a
  // replica may claim at `now`, oldest first: queued ones, and running or delivering
  // ones whose lease expired (their replica died).
  virtual Result<std::vector<JobRecord>> ListClaimableJobs(const std::string& now) = 0;
  // Claims job `id` if it is claimable at lease.now: it becomes running under the lease,
  // started now, its attempt counted, its progress and archive reset (a job taken over
  // runs again from the start). nullopt when it is not claimable, or another replica is
  // claiming it at this moment (it is skipped, not waited for).
  virtual Result<std::optional<JobRecord>> ClaimJob(const std::string& id,
                                                    const LeaseTerms& lease) = 0;
  // Extends to lease.expires_at the leases lease.owner holds on running and delivering
  // jobs; returns the ids of those jobs (any other job it was running is lost).
  virtual Result<std::vector<std::string>> RenewJobLeases(const LeaseTerms& lease) = 0;
  // Records that `replica` is alive at `now` (FailInterruptedAudits).
  virtual Status RecordHeartbeat(const std::string& replica, const std::string& now) = 0;
  // A named lease (say, the right to sync one source): taken by lease.owner when free,
  // expired at lease.now, or already its own (then renewed). Returns whether it holds it.
  virtual Result<bool> AcquireLease(const std::string& name, const LeaseTerms& lease) = 0;
  // Gives the lease up if `owner` holds it.
  virtual Status ReleaseLease(const std::string& name, const std::string& owner) = 0;
  // Its holder, expired or not; nullopt when nobody took it.
  virtual Result<std::optional<LeaseHolder>> GetLease(const std::string& name) = 0;

  // Delivery destinations. AddDestination returns the new id (kConflict when the
  // hospital has one of that name). Get, Update and Delete answer kNotFound for another
  // hospital's. UpdateDestination changes name, settings, secrets and updated_at.
  virtual Result<RowId> AddDestination(const DestinationRecord& destination) = 0;
  virtual Result<DestinationRecord> GetDestination(RowId hospital_id, RowId id) = 0;
  virtual Result<std::vector<DestinationRecord>> ListDestinations(RowId hospital_id) = 0;
  virtual Status UpdateDestination(const DestinationRecord& destination) = 0;
  virtual Status DeleteDestination(RowId hospital_id, RowId id) = 0;

  // Delivery links. ClaimDeliveryLink marks the link used at `now` if it is neither
  // used nor expired at `now`, atomically (two claims of one link: one wins);
  // kNotFound when no link has that token.
  virtual Status AddDeliveryLink(const DeliveryLink& link) = 0;
  virtual Result<DeliveryLinkClaim> ClaimDeliveryLink(const std::string& token_sha256,
                                                      const std::string& now) = 0;

  // Schedules (sql_schedules.cpp). Get, Update and Delete answer kNotFound for another
  // hospital's. UpdateSchedule changes every field but id, hospital_id, created_at and
  // the run fields (last_run_at, last_job), which RecordScheduleRun sets.
  // DeleteSchedule keeps the schedule's jobs, as jobs of no schedule (schedule_id 0).
  virtual Result<RowId> AddSchedule(const ScheduleRecord& schedule) = 0;
  virtual Result<ScheduleRecord> GetSchedule(RowId hospital_id, RowId id) = 0;
  virtual Result<std::vector<ScheduleRecord>> ListSchedules(RowId hospital_id) = 0;
  virtual Status UpdateSchedule(const ScheduleRecord& schedule) = 0;
  virtual Status DeleteSchedule(RowId hospital_id, RowId id) = 0;
  // Every hospital's enabled schedules with next_run_at at or before `now`, oldest
  // slot first.
  virtual Result<std::vector<ScheduleRecord>> ListDueSchedules(const std::string& now) = 0;
  // Moves schedule `id`'s next_run_at from `slot` to `next` if and only if it is
  // `slot` (compare and set): of two schedulers that saw the same due slot, one
  // claims it. Returns whether this call did.
  virtual Result<bool> ClaimScheduleSlot(RowId id, const std::string& slot,
                                         const std::string& next) = 0;
  // Records a run (last_run_at, last_job, and the run's watermark for
  // last_success_through once its job ends done or delivered). kNotFound when the
  // schedule is gone.
  virtual Status RecordScheduleRun(const ScheduleRun& run) = 0;
  // The change sequence number of the newest committed change to any study: every
  // study added to or changed in a committed transaction has a number up to it
  // (ChangeRange). 0 before any.
  virtual Result<std::int64_t> CurrentChangeSequence() = 0;

  // Browser download links (sql_download_links.cpp), shared by every replica.
  // AddDownloadLink: kConflict when the token is recorded. FindDownloadLink: nullopt
  // for an unknown token or a link forgotten at `now`.
  virtual Status AddDownloadLink(const DownloadLinkRecord& link) = 0;
  virtual Result<std::optional<DownloadLinkRecord>> FindDownloadLink(
      const std::string& token_sha256, const std::string& now) = 0;
  // Spends the link if and only if it is unspent and unexpired at `now` (compare and
  // set: of two redeemers, one wins), to be forgotten at `forget_at` or sooner.
  // Returns the link spent, nullopt when this call did not spend it.
  virtual Result<std::optional<DownloadLinkRecord>> RedeemDownloadLink(
      const std::string& token_sha256, const std::string& now, const std::string& forget_at) = 0;
  // Spends the link in any state, to be forgotten at `forget_at` or sooner; an unknown
  // token is ignored.
  virtual Status RevokeDownloadLink(const std::string& token_sha256,
                                    const std::string& forget_at) = 0;
  // Records what became of the link's use; an unknown token is ignored.
  virtual Status SetDownloadLinkUse(const std::string& token_sha256, const std::string& use_state,
                                    const std::string& error_code,
                                    const std::string& error_message) = 0;
  // Removes at most `limit` links forgotten at `now`, the longest forgotten first;
  // returns how many.
  virtual Result<std::int64_t> SweepDownloadLinks(const std::string& now, std::int64_t limit) = 0;

  // Operations: how much of its session pool the index uses now. Thread-safe, quick.
  virtual SessionPoolUse PoolUse() const { return {}; }
};

// Opens, creating when absent, the SQLite index at `path` (WAL mode) and brings its
// schema up to date. kUnavailable when the file cannot be opened.
Result<std::unique_ptr<Index>> OpenSqliteIndex(const std::string& path);

// Connects to the PostgreSQL database at `url` (a libpq connection URI,
// postgresql://user[:password]@host[:port]/dbname[?options]) and brings its schema up to
// date; several processes may do so at once. The database must sort text byte by
// byte (LC_COLLATE "C"). kUnavailable when the server cannot be reached or refuses.
Result<std::unique_ptr<Index>> OpenPostgresIndex(const std::string& url);

// True when `url` names a PostgreSQL index (postgresql:// or postgres://).
bool IsPostgresUrl(const std::string& url);

// `url` with its password, if any, replaced by "***": what logs and messages show.
std::string IndexUrlForLog(const std::string& url);

}  // namespace pacsport
