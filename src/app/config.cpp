#include "app/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cstdlib>
#include <set>

#include "http/trusted_proxies.h"
#include "index/index.h"

namespace pacsport {
namespace {

Status SetInt(std::int64_t value, std::int64_t min, std::int64_t max, const std::string& key,
              auto& field) {
  if (value < min || value > max) {
    return InvalidInput(key + " must be from " + std::to_string(min) + " to " +
                        std::to_string(max));
  }
  field = static_cast<std::remove_reference_t<decltype(field)>>(value);
  return Status::Ok();
}

// A size limit in MiB (0: none), kept in bytes.
// A value in [min, max] given in seconds, stored as a duration.
Status SetSeconds(std::int64_t value, std::int64_t min, std::int64_t max, const std::string& key,
                  std::chrono::seconds& field) {
  std::int64_t seconds = 0;
  Status s = SetInt(value, min, max, key, seconds);
  field = std::chrono::seconds(seconds);
  return s;
}

// A value in [min, max] given in MiB, stored in bytes.
Status SetMegabytes(std::int64_t value, std::int64_t min, std::int64_t max, const std::string& key,
                    auto& bytes) {
  std::int64_t mb = 0;
  Status s = SetInt(value, min, max, key, mb);
  bytes = static_cast<std::remove_reference_t<decltype(bytes)>>(mb) << 20;
  return s;
}

Result<std::int64_t> ParseInteger(const std::string& text, const std::string& key) {
  try {
    size_t used = 0;
    const std::int64_t value = std::stoll(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  return InvalidInput(key + " must be an integer");
}

// One setting, whatever its origin: a TOML key and its environment variable. A kList
// setting is a TOML array of strings or, in the environment, the strings separated by
// commas; its set_text gets them comma-separated either way.
struct Setting {
  const char* toml_path;
  const char* env;
  enum Kind { kText, kInteger, kList } kind;
  std::function<Status(Config&, const std::string&)> set_text;
  std::function<Status(Config&, std::int64_t)> set_integer;
};

// The items of `text` separated by commas, without the spaces around them; none for
// "", an empty item for two commas in a row.
std::vector<std::string> CommaSeparated(const std::string& text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (!text.empty() && start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    std::string item = text.substr(start, comma - start);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    items.push_back(std::move(item));
    start = comma + 1;
  }
  return items;
}

// "researcher, user": role names separated by commas; "" for none.
Status ParseRoles(const std::string& text, const std::string& key, std::set<Role>& roles) {
  std::set<Role> parsed;
  for (const std::string& name : CommaSeparated(text)) {
    if (name.empty()) continue;
    const auto role = ParseRole(name);
    if (!role) return InvalidInput(key + ": unknown role " + name);
    parsed.insert(*role);
  }
  roles = std::move(parsed);
  return Status::Ok();
}

const std::vector<Setting>& Settings() {
  static const std::vector<Setting> settings = {
      {"server.listen", "PACSPORT_LISTEN", Setting::kText,
       [](Config& c, const std::string& v) { return ParseListen(v, c.http); }, nullptr},
      {"server.max_connections", "PACSPORT_MAX_CONNECTIONS", Setting::kInteger, nullptr,
       [](Config& c, std::int64_t v) {
         return SetInt(v, 16, 900, "server.max_connections", c.http.max_connections);
       }},
      {"server.max_connections_per_address", "PACSPORT_MAX_CONNECTIONS_PER_ADDRESS",
       Setting::kInteger, nullptr,
       [](Config& c, std::int64_t v) {
         return SetInt(v, 1, 900, "server.max_connections_per_address",
                       c.http.max_connections_per_address);
       }},
      {"server.request_header_timeout_seconds", "PACSPORT_REQUEST_HEADER_TIMEOUT_SECONDS",
       Setting::kInteger, nullptr,
       [](Config& c, std::int64_t v) {
         return SetSeconds(v, 1, 300, "server.request_header_timeout_seconds",
                           c.http.request_header_timeout);
       }},
      {"server.anonymous_requests_per_second", "PACSPORT_ANONYMOUS_REQUESTS_PER_SECOND",
       Setting::kInteger, nullptr,
       [](Config& c, std::int64_t v) {
         return SetInt(v, 1, 100000, "server.anonymous_requests_per_second",
                       c.http.anonymous_requests_per_second);
       }},
      {"server.user_requests_per_second", "PACSPORT_USER_REQUESTS_PER_SECOND", Setting::kInteger,
       nullptr,
       [](Config& c, std::int64_t v) {
         return SetInt(v, 1, 100000, "server.user_requests_per_second",
                       c.http.user_requests_per_second);
       }},
      {"server.trusted_proxies", "PACSPORT_TRUSTED_PROXIES", Setting::kList,
       [](Config& c, const std::string& v) {
         auto proxies = http::TrustedProxies::Parse(CommaSeparated(v));
         if (!proxies.ok()) {
           return Status(InvalidInput("server.trusted_proxies: " + proxies.error().message()));
         }
         c.http.trusted_proxies = std::move(proxies).value();
         return Status::Ok();
       },
       nullptr},
      {"server.token_ttl_seconds", "PACSPORT_TOKEN_TTL_SECONDS", Setting::kInteger, nullptr,
       [](Config& c, std::int64_t v) {
         return SetSeconds(v, 60, 7 * 24 * 3600, "server.token_ttl_seconds", c.http.token_ttl);
       }},
      {"server.web_root", "PACSPORT_WEB_ROOT", Setting::kText,
       [](Config& c, const std::string& v) {
         c.http.web_root = v;
         return Status::Ok();
       },
       nullptr},
      {"server.download_link_seconds", "PACSPORT_DOWNLOAD_LINK_SECONDS", Setting::kInteger, nullptr,
       [](Config& c, std::int64_t v) {
         return SetSeconds(v, 1, 60, "server.download_link_seconds", c.http.download_link_lifetime);
       }},
      {"server.max_upload_mb", "PACSPORT_MAX_UPLOAD_MB", Setting::kInteger, nullptr,
       [](Config& c, std::int64_t v) {
         return SetMegabytes(v, 1, 4096, "server.max_upload_mb", c.http.max_upload_bytes);
       }},
      {"ingest.max_inflated_mb", "PACSPORT_MAX_INFLATED_MB", Setting::kInteger, nullptr,
       [](Config& c, std::int64_t v) {
         return SetMegabytes(v, 1, 1 << 20, "ingest.max_inflated_mb",
                             c.parse_limits.max_inflated_bytes);
       }},
      {"security.jwt_secret", "PACSPORT_JWT_SECRET", Setting::kText,
       [](Config& c, const std::string& v) {
         c.jwt_secret = v;
         return Status::Ok();
       },
       nullptr},
      {"security.max_token_lifetime_seconds", "PACSPORT_MAX_TOKEN_LIFETIME_SECONDS",
       Setting::kInteger, nullptr,
       [](Config& c, std::int64_t v) {
         return SetSeconds(v, 60, 7 * 24 * 3600, "security.max_token_lifetime_seconds",
                           c.max_token_lifetime.emplace());
       }},
      {"security.tls_certificate", "PACSPORT_TLS_CERTIFICATE", Setting::kText,
       [](Config& c, const std::string& v) {
         c.http.tls_certificate = v;
         return Status::Ok();
       },
       nullptr},
      {"security.tls_private_key", "PACSPORT_TLS_PRIVATE_KEY", Setting::kText,
       [](Config& c, const std::string& v) {
         c.http.tls_private_key = v;
         return Status::Ok();
       },
       nullptr},
      {"export.compression_level", "PACSPORT_COMPRESSION_LEVEL", Setting::kInteger, nullptr,
       [](Config& c, std::int64_t v) {
         return SetInt(v, 0, 9, "export.compression_level", c.http.default_compression_level);
       }},
      {"export.max_concurrent", "PACSPORT_MAX_CONCURRENT_EXPORTS", Setting::kInteger, nullptr,
       [](Config& c, std::int64_t v) {
         return SetInt(v, 1, 1024, "export.max_concurrent", c.exports.shares.max_concurrent);
       }},
      {"export.max_per_hospital", "PACSPORT_MAX_EXPORTS_PER_HOSPITAL", Setting::kInteger, nullptr,
       [](Config& c, std::int64_t v) {
         return SetInt(v, 1, 1024, "export.max_per_hospital", c.exports.shares.max_per_hospital);
       }},
      {"export.max_per_user", "PACSPORT_MAX_EXPORTS_PER_USER", Setting::kInteger, nullptr,
       [](Config& c, std::int64_t v) {
         return SetInt(v, 1, 1024, "export.max_per_user", c.exports.shares.max_per_user);
       }},
      {"export.client_stall_seconds", "PACSPORT_CLIENT_STALL_SECONDS", Setting::kInteger, nullptr,
       [](Config& c, std::int64_t v) {
         return SetSeconds(v, 1, 300, "export.client_stall_seconds", c.http.client_stall);
       }},
      {"export.max_export_mb", "PACSPORT_MAX_EXPORT_MB", Setting::kInteger, nullptr,
       [](Config& c, std::int64_t v) {
         return SetMegabytes(v, 0, std::int64_t{1} << 30, "export.max_export_mb",
                             c.exports.size.default_max_bytes);
       }},
      {"export.job_threshold_mb", "PACSPORT_JOB_THRESHOLD_MB", Setting::kInteger, nullptr,
       [](Config& c, std::int64_t v) {
         return SetMegabytes(v, 0, std::int64_t{1} << 30, "export.job_threshold_mb",
                             c.http.job_threshold_bytes);
       }},
      {"metrics.bearer_token", "PACSPORT_METRICS_BEARER_TOKEN", Setting::kText,
       [](Config& c, const std::string& v) -> Status {
         if (!v.empty() && v.size() < 16) {
           return InvalidInput("metrics.bearer_token must be empty or at least 16 characters");
         }
         c.http.metrics_bearer_token = v;
         return Status::Ok();
       },
       nullptr},
      {"jobs.max_running", "PACSPORT_MAX_RUNNING_JOBS", Setting::kInteger, nullptr,
       [](Config& c, std::int64_t v) {
         return SetInt(v, 1, 64, "jobs.max_running", c.jobs.max_running);
       }},
      {"jobs.max_running_per_hospital", "PACSPORT_MAX_RUNNING_JOBS_PER_HOSPITAL", Setting::kInteger,
       nullptr,
       [](Config& c, std::int64_t v) {
         return SetInt(v, 1, 64, "jobs.max_running_per_hospital", c.jobs.max_running_per_hospital);
       }},
      {"jobs.max_running_per_user", "PACSPORT_MAX_RUNNING_JOBS_PER_USER", Setting::kInteger,
       nullptr,
       [](Config& c, std::int64_t v) {
         return SetInt(v, 1, 64, "jobs.max_running_per_user", c.jobs.max_running_per_user);
       }},
      {"jobs.retention_seconds", "PACSPORT_JOB_RETENTION_SECONDS", Setting::kInteger, nullptr,
       [](Config& c, std::int64_t v) {
         return SetSeconds(v, 1, 90 * 24 * 3600, "jobs.retention_seconds", c.jobs.retention);
       }},
      {"jobs.lease_seconds", "PACSPORT_JOB_LEASE_SECONDS", Setting::kInteger, nullptr,
       [](Config& c, std::int64_t v) {
         return SetSeconds(v, 2, 3600, "jobs.lease_seconds", c.jobs.lease);
       }},
      {"jobs.disk_quota_mb", "PACSPORT_JOB_DISK_QUOTA_MB", Setting::kInteger, nullptr,
       [](Config& c, std::int64_t v) {
         return SetMegabytes(v, 1, std::int64_t{1} << 30, "jobs.disk_quota_mb",
                             c.jobs.disk_quota_bytes);
       }},
      {"audit.retention_seconds", "PACSPORT_AUDIT_RETENTION_SECONDS", Setting::kInteger, nullptr,
       [](Config& c, std::int64_t v) {
         return SetSeconds(v, 0, std::int64_t{100} * 366 * 24 * 3600, "audit.retention_seconds",
                           c.audit_retention);
       }},
      {"preview.workers", "PACSPORT_PREVIEW_WORKERS", Setting::kInteger, nullptr,
       [](Config& c, std::int64_t v) {
         return SetInt(v, 0, 256, "preview.workers", c.preview.workers);
       }},
      {"preview.worker_memory_mb", "PACSPORT_PREVIEW_WORKER_MEMORY_MB", Setting::kInteger, nullptr,
       [](Config& c, std::int64_t v) {
         return SetMegabytes(v, 0, 1 << 20, "preview.worker_memory_mb",
                             c.preview.memory_limit_bytes);
       }},
      {"preview.frame_cpu_seconds", "PACSPORT_PREVIEW_FRAME_CPU_SECONDS", Setting::kInteger,
       nullptr,
       [](Config& c, std::int64_t v) {
         return SetSeconds(v, 1, 3600, "preview.frame_cpu_seconds", c.preview.frame_cpu_limit);
       }},
      {"preview.max_frames_per_instance", "PACSPORT_PREVIEW_MAX_FRAMES_PER_INSTANCE",
       Setting::kInteger, nullptr,
       [](Config& c, std::int64_t v) {
         return SetInt(v, 1, 1 << 20, "preview.max_frames_per_instance",
                       c.preview.max_frames_per_instance);
       }},
      {"preview.max_bytes_per_instance_mb", "PACSPORT_PREVIEW_MAX_BYTES_PER_INSTANCE_MB",
       Setting::kInteger, nullptr,
       [](Config& c, std::int64_t v) {
         return SetMegabytes(v, 1, 1 << 20, "preview.max_bytes_per_instance_mb",
                             c.preview.max_bytes_per_instance);
       }},
      {"preview.max_bytes_per_export_mb", "PACSPORT_PREVIEW_MAX_BYTES_PER_EXPORT_MB",
       Setting::kInteger, nullptr,
       [](Config& c, std::int64_t v) {
         return SetMegabytes(v, 1, 1 << 30, "preview.max_bytes_per_export_mb",
                             c.preview.max_bytes_per_export);
       }},
      // [audit.syslog]
      {"audit.syslog.url", "PACSPORT_AUDIT_SYSLOG_URL", Setting::kText,
       [](Config& c, const std::string& v) {
         c.audit_syslog.url = v;
         return v.empty() ? Status::Ok() : audit::CheckSyslogUrl(v);
       },
       nullptr},
      {"audit.syslog.ca_file", "PACSPORT_AUDIT_SYSLOG_CA_FILE", Setting::kText,
       [](Config& c, const std::string& v) {
         c.audit_syslog.ca_file = v;
         return Status::Ok();
       },
       nullptr},
      {"audit.syslog.cert_file", "PACSPORT_AUDIT_SYSLOG_CERT_FILE", Setting::kText,
       [](Config& c, const std::string& v) {
         c.audit_syslog.cert_file = v;
         return Status::Ok();
       },
       nullptr},
      {"audit.syslog.key_file", "PACSPORT_AUDIT_SYSLOG_KEY_FILE", Setting::kText,
       [](Config& c, const std::string& v) {
         c.audit_syslog.key_file = v;
         return Status::Ok();
       },
       nullptr},
      {"audit.syslog.source_id", "PACSPORT_AUDIT_SYSLOG_SOURCE_ID", Setting::kText,
       [](Config& c, const std::string& v) {
         c.audit_source_id = v;
         return Status::Ok();
       },
       nullptr},
      // [delivery]
      {"delivery.public_url", "PACSPORT_PUBLIC_URL", Setting::kText,
       [](Config& c, const std::string& v) {
         std::string url = v;
         while (!url.empty() && url.back() == '/') url.pop_back();
         c.delivery.public_url = url;
         if (url.empty() || url.starts_with("http://") || url.starts_with("https://")) {
           return Status::Ok();
         }
         return Status(InvalidInput("delivery.public_url must be an http:// or https:// URL"));
       },
       nullptr},
      {"delivery.email_link_seconds", "PACSPORT_EMAIL_LINK_SECONDS", Setting::kInteger, nullptr,
       [](Config& c, std::int64_t v) {
         return SetSeconds(v, 1, 7 * 24 * 3600, "delivery.email_link_seconds",
                           c.delivery.email_link_lifetime);
       }},
      {"delivery.secrets_key", "PACSPORT_SECRETS_KEY", Setting::kText,
       [](Config& c, const std::string& v) {
         c.delivery.secrets_key = v;
         return Status::Ok();
       },
       nullptr},
      {"delivery.secrets_key_file", "PACSPORT_SECRETS_KEY_FILE", Setting::kText,
       [](Config& c, const std::string& v) {
         c.delivery.secrets_key_file = v;
         return Status::Ok();
       },
       nullptr},
      {"deidentify.key", "PACSPORT_DEIDENTIFY_KEY", Setting::kText,
       [](Config& c, const std::string& v) {
         c.deidentify.key = v;
         return Status::Ok();
       },
       nullptr},
      {"deidentify.key_file", "PACSPORT_DEIDENTIFY_KEY_FILE", Setting::kText,
       [](Config& c, const std::string& v) {
         c.deidentify.key_file = v;
         return Status::Ok();
       },
       nullptr},
      {"deidentify.roles", "PACSPORT_DEIDENTIFY_ROLES", Setting::kText,
       [](Config& c, const std::string& v) {
         return ParseRoles(v, "deidentify.roles", c.exports.deidentify_policy.default_roles);
       },
       nullptr},
      {"index.url", "PACSPORT_INDEX_URL", Setting::kText,
       [](Config& c, const std::string& v) {
         if (!v.empty() && !IsPostgresUrl(v)) {
           return Status(InvalidInput(
               "index.url must be empty (the embedded SQLite index) or a postgresql:// URL"));
         }
         c.index_url = v;
         return Status::Ok();
       },
       nullptr},
      {"logging.level", "PACSPORT_LOG_LEVEL", Setting::kText,
       [](Config& c, const std::string& v) {
         if (v != "debug" && v != "info" && v != "warn" && v != "error") {
           return Status(InvalidInput("logging.level must be debug, info, warn or error"));
         }
         c.log_level = v;
         return Status::Ok();
       },
       nullptr},
  };
  return settings;
}

bool IsSourceName(const std::string& name) {
  return !name.empty() && name.size() <= 32 && name != "local" &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
         });
}

// One [[sources]] table. Every key is checked, unknown ones included, so that a
// misspelt option is an error rather than a silent default.
Status ParseSource(const toml::table& table, const std::string& where, OrthancSettings& source) {
  auto text = [&](const char* key, std::string& field, bool required) -> Status {
    const toml::node* node = table.get(key);
    if (node == nullptr) {
      return required ? Status(InvalidInput(where + "." + key + " is required")) : Status::Ok();
    }
    const auto value = node->value<std::string>();
    if (!value) return InvalidInput(where + "." + key + " must be a string");
    field = *value;
    return Status::Ok();
  };
  auto integer = [&](const char* key, std::int64_t min, std::int64_t max, auto& field) -> Status {
    const toml::node* node = table.get(key);
    if (node == nullptr) return Status::Ok();
    const auto value = node->value_exact<std::int64_t>();
    if (!value) return InvalidInput(where + "." + key + " must be an integer");
    std::int64_t number = 0;
    if (Status s = SetInt(*value, min, max, where + "." + key, number); !s.ok()) return s;
    field = std::remove_reference_t<decltype(field)>(number);
    return Status::Ok();
  };
  static const std::set<std::string, std::less<>> kKeys = {"name",
                                                           "kind",
                                                           "url",
                                                           "username",
                                                           "password",
                                                           "hospital",
                                                           "max_in_flight",
                                                           "connect_timeout_ms",
                                                           "read_timeout_seconds",
                                                           "retries",
                                                           "poll_interval_seconds",
                                                           "reconcile_interval_seconds",
                                                           "page_size"};
  for (const auto& [key, value] : table) {
    if (!kKeys.contains(key.str()))
      return InvalidInput(where + "." + std::string(key.str()) + " is not a known key");
  }
  std::string kind;
  for (Status s :
       {text("name", source.name, true), text("kind", kind, true), text("url", source.url, true),
        text("username", source.username, false), text("password", source.password, false),
        text("hospital", source.hospital, true),
        integer("max_in_flight", 1, 64, source.max_in_flight),
        integer("connect_timeout_ms", 10, 600'000, source.connect_timeout),
        integer("read_timeout_seconds", 1, 3600, source.read_timeout),
        integer("retries", 0, 10, source.retries),
        integer("poll_interval_seconds", 1, 3600, source.poll_interval),
        integer("reconcile_interval_seconds", 1, 7 * 24 * 3600, source.reconcile_interval),
        integer("page_size", 1, 10'000, source.page_size)}) {
    if (!s.ok()) return s;
  }
  if (!IsSourceName(source.name)) {
    return InvalidInput(where +
                        ".name must be 1-32 characters of a-z, 0-9, '_' and '-', not \"local\"");
  }
  if (kind != "orthanc") return InvalidInput(where + ".kind must be \"orthanc\"");
  while (!source.url.empty() && source.url.back() == '/') source.url.pop_back();
  const bool http = source.url.starts_with("http://") || source.url.starts_with("https://");
  if (!http || source.url.find_first_of(" \t\r\n?#") != std::string::npos ||
      source.url.find("://") + 3 == source.url.size()) {
    return InvalidInput(where + ".url must be an http:// or https:// URL");
  }
  if (source.hospital.empty()) return InvalidInput(where + ".hospital must not be empty");
  return Status::Ok();
}

Status ApplySources(const toml::table& file, Config& config) {
  const toml::node* node = file.get("sources");
  if (node == nullptr) return Status::Ok();
  const toml::array* sources = node->as_array();
  if (sources == nullptr) return InvalidInput("sources must be an array of tables ([[sources]])");
  std::set<std::string> names;
  for (size_t i = 0; i < sources->size(); ++i) {
    const std::string where = "sources[" + std::to_string(i) + "]";
    const toml::table* table = (*sources)[i].as_table();
    if (table == nullptr) return InvalidInput(where + " must be a table");
    OrthancSettings source;
    if (Status s = ParseSource(*table, where, source); !s.ok()) return s;
    if (!names.insert(source.name).second) {
      return InvalidInput(where + ".name \"" + source.name + "\" is used by another source");
    }
    config.orthanc_sources.push_back(std::move(source));
  }
  return Status::Ok();
}

// [export.hospital_max_export_mb]: "hospital name" = MiB, each overriding
// export.max_export_mb for that hospital (0: no limit).
Status ApplyHospitalExportLimits(const toml::table& file, Config& config) {
  const toml::node_view node = file.at_path("export.hospital_max_export_mb");
  if (!node) return Status::Ok();
  const toml::table* table = node.as_table();
  if (table == nullptr) {
    return InvalidInput("export.hospital_max_export_mb must be a table of hospital name = MiB");
  }
  for (const auto& [name, value] : *table) {
    const std::string key = "export.hospital_max_export_mb.\"" + std::string(name.str()) + "\"";
    const auto mb = value.value<std::int64_t>();
    if (!mb) return InvalidInput(key + " must be an integer");
    std::int64_t bytes = 0;
    if (Status s = SetMegabytes(*mb, 0, std::int64_t{1} << 30, key, bytes); !s.ok()) return s;
    config.exports.size.by_hospital[std::string(name.str())] = bytes;
  }
  return Status::Ok();
}

// [deidentify.hospital_roles]: "hospital name" = "roles", each overriding
// deidentify.roles for that hospital ("" for none).
Status ApplyHospitalDeidentifyRoles(const toml::table& file, Config& config) {
  const toml::node_view node = file.at_path("deidentify.hospital_roles");
  if (!node) return Status::Ok();
  const toml::table* table = node.as_table();
  if (table == nullptr) {
    return InvalidInput("deidentify.hospital_roles must be a table of hospital name = \"roles\"");
  }
  for (const auto& [name, value] : *table) {
    const std::string key = "deidentify.hospital_roles.\"" + std::string(name.str()) + "\"";
    const auto roles = value.value<std::string>();
    if (!roles) return InvalidInput(key + " must be a string of role names");
    std::set<Role>& parsed = config.exports.deidentify_policy.by_hospital[std::string(name.str())];
    if (Status s = ParseRoles(*roles, key, parsed); !s.ok()) return s;
  }
  return Status::Ok();
}

// kInvalidInput naming the first key of `table` (under `prefix`) that no setting
// reads: a misspelt limit must stop the server rather than leave it silently at its
// default. Tables that are not themselves a setting ([audit.syslog]) are descended.
Status RefuseUnknownKeys(const toml::table& table, const std::string& prefix = "") {
  std::set<std::string, std::less<>> known = {"export.hospital_max_export_mb",
                                              "deidentify.hospital_roles"};
  for (const Setting& setting : Settings()) known.insert(setting.toml_path);
  for (const auto& [key, node] : table) {
    const std::string path = prefix + std::string(key.str());
    if (path == "sources" || known.contains(path)) continue;  // sources: see ApplySources
    const toml::table* keys = node.as_table();
    if (keys == nullptr) return InvalidInput("unknown configuration key " + path);
    if (Status s = RefuseUnknownKeys(*keys, path + "."); !s.ok()) return s;
  }
  return Status::Ok();
}

// The strings of the TOML array `array` joined by commas; kInvalidInput naming `key`
// when it is not an array of strings.
Result<std::string> JoinedStrings(const toml::array* array, const std::string& key) {
  if (array == nullptr) return InvalidInput(key + " must be an array of strings");
  std::string joined;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const auto text = (*array)[i].value<std::string>();
    if (!text) return InvalidInput(key + " must be an array of strings");
    if (i > 0) joined += ',';
    joined += *text;
  }
  return joined;
}

Status ApplyFile(const std::filesystem::path& file, Config& config) {
  toml::table table;
  try {
    table = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    return InvalidInput("config " + file.string() + ": " + std::string(e.description()));
  }
  if (Status s = RefuseUnknownKeys(table); !s.ok()) return s;
  for (const Setting& setting : Settings()) {
    const toml::node_view node = table.at_path(setting.toml_path);
    if (!node) continue;
    Status status;
    if (setting.kind == Setting::kText) {
      const auto value = node.value<std::string>();
      if (!value) return InvalidInput(std::string(setting.toml_path) + " must be a string");
      status = setting.set_text(config, *value);
    } else if (setting.kind == Setting::kList) {
      auto joined = JoinedStrings(node.as_array(), setting.toml_path);
      if (!joined.ok()) return joined.error();
      status = setting.set_text(config, *joined);
    } else {
      const auto value = node.value_exact<std::int64_t>();
      if (!value) return InvalidInput(std::string(setting.toml_path) + " must be an integer");
      status = setting.set_integer(config, *value);
    }
    if (!status.ok()) return status;
  }
  if (Status s = ApplyHospitalExportLimits(table, config); !s.ok()) return s;
  if (Status s = ApplyHospitalDeidentifyRoles(table, config); !s.ok()) return s;
  return ApplySources(table, config);
}

Status ApplyEnvironment(Config& config) {
  for (const Setting& setting : Settings()) {
    const char* value = std::getenv(setting.env);
    if (value == nullptr) continue;
    Status status;
    if (setting.kind != Setting::kInteger) {
      status = setting.set_text(config, value);
    } else {
      auto parsed = ParseInteger(value, setting.env);
      status = parsed.ok() ? setting.set_integer(config, *parsed) : Status(parsed.error());
    }
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

}  // namespace

Status ParseListen(const std::string& listen, HttpSettings& http) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return InvalidInput("listen must be HOST:PORT");
  std::string host = listen.substr(0, colon);
  if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  auto port = ParseInteger(listen.substr(colon + 1), "listen port");
  if (!port.ok() || *port < 0 || *port > 65535) return InvalidInput("listen port must be 0-65535");
  http.host = host;
  http.port = static_cast<int>(*port);
  return Status::Ok();
}

std::chrono::seconds MaxTokenLifetime(const Config& config) {
  return config.max_token_lifetime.value_or(config.http.token_ttl);
}

Result<Config> LoadConfig(const std::optional<std::filesystem::path>& file) {
  Config config;
  if (file) {
    if (Status s = ApplyFile(*file, config); !s.ok()) return s.error();
  }
  if (Status s = ApplyEnvironment(config); !s.ok()) return s.error();
  if (config.http.token_ttl > MaxTokenLifetime(config)) {
    return InvalidInput(
        "server.token_ttl_seconds must not exceed security.max_token_lifetime_seconds");
  }
  return config;
}

}  // namespace pacsport
