// Server configuration: built-in defaults, overridden by a TOML file, then by
// PACSPORT_* environment variables, then by command-line flags (applied by main).
// Values only; see README.md for every key.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "audit/syslog_sender.h"
#include "core/error.h"
#include "dicom/instance_parser.h"
#include "http/server.h"
#include "orthanc/orthanc_settings.h"
#include "preview/preview_pool.h"

namespace pacsport {

// [delivery]: where export jobs deliver their archives (delivery/destinations.h).
struct DeliveryConfig {
  std::string public_url;  // this server as its users reach it, for e-mailed links; "" none
  std::chrono::seconds email_link_lifetime{std::chrono::hours(72)};  // at most 7 days
  // The key sealing destinations' secrets: the base64 key itself, else a key file,
  // else DIR/destination-secrets-key (created on first use).
  std::string secrets_key;
  std::string secrets_key_file;
};

// [deidentify]: the secret research projects' keys derive from (deid/project_keys.h):
// the key itself (64 hex digits), else a key file, else DIR/deidentify-key (created
// on first use). The roles policy is in exports.deidentify_policy.
struct DeidentifyConfig {
  std::string key;
  std::string key_file;
};

struct Config {
  HttpSettings http;
  std::string jwt_secret;  // empty: none configured
  // The longest lifetime (exp - iat) of a token the server accepts; nullopt: the
  // login TTL (http.token_ttl). Never below it: LoadConfig refuses that.
  std::optional<std::chrono::seconds> max_token_lifetime;
  std::string log_level = "info";
  // [index] url: the index database, postgresql://user[:password]@host[:port]/dbname
  // (index.h OpenPostgresIndex); empty: the embedded SQLite file DIR/index.sqlite.
  // Shown only through IndexUrlForLog: it may hold a password.
  std::string index_url;
  // [export]: the shares of export capacity and the hospitals' size limits (the
  // per-hospital ones from the file only).
  ExportServiceLimits exports;
  ExportJobSettings jobs;  // [jobs]; directory is set by the caller
  // [audit] retention_seconds: records older than this are moved to the retention
  // archive (app/audit_archiver.h); 0 keeps every record in the index.
  std::chrono::seconds audit_retention{0};
  dicom::ParseLimits parse_limits;               // of every file ingested: upload, import, sync
  preview::PreviewPoolSettings preview;          // worker_executable is set by the caller
  std::vector<OrthancSettings> orthanc_sources;  // [[sources]] of kind "orthanc"; file only
  // [audit.syslog]: the audit record repository that every export is sent to as a DICOM
  // audit message (audit/audit_forwarder.h); url empty: none. source_id is the
  // messages' AuditSourceID, empty for the host name.
  audit::SyslogSettings audit_syslog;
  std::string audit_source_id;
  DeliveryConfig delivery;
  DeidentifyConfig deidentify;
};

// The maximum token lifetime in force: the configured one, else the login TTL.
std::chrono::seconds MaxTokenLifetime(const Config& config);

// Parses "HOST:PORT" (HOST may be "[::1]"); kInvalidInput when malformed.
Status ParseListen(const std::string& listen, HttpSettings& http);

// Defaults, then `file` (when given), then the environment. kInvalidInput names the
// offending key or variable.
Result<Config> LoadConfig(const std::optional<std::filesystem::path>& file);

}  // namespace pacsport
