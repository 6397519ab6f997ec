#include "app/config.h"

#include <cstdlib>
#include <toml++/toml.h>

namespace pacsport {
namespace {

Status SetInt(std::int64_t value, std::int64_t min, std::int64_t max, const std::string& key,
              auto& field) {
  if (value < min || value > max) {
    return InvalidInput(key + " must be from " + std::to_string(min) + " to " + std::to_string(max));
  }
  field = static_cast<std::remove_reference_t<decltype(field)>>(value);
  return Status::Ok();
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

// One setting, whatever its origin: a TOML key and its environment variable.
struct Setting {
  const char* toml_path;
  const char* env;
  enum Kind { kText, kInteger } kind;
  std::function<Status(Config&, const std::string&)> set_text;
  std::function<Status(Config&, std::int64_t)> set_integer;
};

const std::vector<Setting>& Settings() {
  static const std::vector<Setting> settings = {
      {"server.listen", "PACSPORT_LISTEN", Setting::kText,
       [](Config& c, const std::string& v) { return ParseListen(v, c.http); }, nullptr},
      {"server.worker_threads", "PACSPORT_WORKER_THREADS", Setting::kInteger, nullptr,
       [](Config& c, std::int64_t v) { return SetInt(v, 2, 256, "server.worker_threads", c.http.worker_threads); }},
      {"server.token_ttl_seconds", "PACSPORT_TOKEN_TTL_SECONDS", Setting::kInteger, nullptr,
       [](Config& c, std::int64_t v) {
         std::int64_t seconds = 0;
         Status s = SetInt(v, 60, 7 * 24 * 3600, "server.token_ttl_seconds", seconds);
         c.http.token_ttl = std::chrono::seconds(seconds);
         return s;
       }},
      {"server.max_upload_mb", "PACSPORT_MAX_UPLOAD_MB", Setting::kInteger, nullptr,
       [](Config& c, std::int64_t v) {
         std::int64_t mb = 0;
         Status s = SetInt(v, 1, 4096, "server.max_upload_mb", mb);
         c.http.max_upload_bytes = static_cast<std::size_t>(mb) << 20;
         return s;
       }},
      {"security.jwt_secret", "PACSPORT_JWT_SECRET", Setting::kText,
       [](Config& c, const std::string& v) {
         c.jwt_secret = v;
         return Status::Ok();
       }, nullptr},
      {"security.tls_certificate", "PACSPORT_TLS_CERTIFICATE", Setting::kText,
       [](Config& c, const std::string& v) {
         c.http.tls_certificate = v;
         return Status::Ok();
       }, nullptr},
      {"security.tls_private_key", "PACSPORT_TLS_PRIVATE_KEY", Setting::kText,
       [](Config& c, const std::string& v) {
         c.http.tls_private_key = v;
         return Status::Ok();
       }, nullptr},
      {"export.compression_level", "PACSPORT_COMPRESSION_LEVEL", Setting::kInteger, nullptr,
       [](Config& c, std::int64_t v) { return SetInt(v, 0, 9, "export.compression_level", c.http.default_compression_level); }},
      {"export.max_concurrent", "PACSPORT_MAX_CONCURRENT_EXPORTS", Setting::kInteger, nullptr,
       [](Config& c, std::int64_t v) { return SetInt(v, 1, 1024, "export.max_concurrent", c.max_concurrent_exports); }},
      {"preview.workers", "PACSPORT_PREVIEW_WORKERS", Setting::kInteger, nullptr,
       [](Config& c, std::int64_t v) { return SetInt(v, 0, 256, "preview.workers", c.preview.workers); }},
      {"preview.worker_memory_mb", "PACSPORT_PREVIEW_WORKER_MEMORY_MB", Setting::kInteger, nullptr,
       [](Config& c, std::int64_t v) {
         std::int64_t mb = 0;
         Status s = SetInt(v, 0, 1 << 20, "preview.worker_memory_mb", mb);
         c.preview.memory_limit_bytes = static_cast<std::uint64_t>(mb) << 20;
         return s;
       }},
      {"preview.frame_cpu_seconds", "PACSPORT_PREVIEW_FRAME_CPU_SECONDS", Setting::kInteger, nullptr,
       [](Config& c, std::int64_t v) {
         std::int64_t seconds = 0;
         Status s = SetInt(v, 1, 3600, "preview.frame_cpu_seconds", seconds);
         c.preview.frame_cpu_limit = std::chrono::seconds(seconds);
         return s;
       }},
      {"logging.level", "PACSPORT_LOG_LEVEL", Setting::kText,
       [](Config& c, const std::string& v) {
         if (v != "debug" && v != "info" && v != "warn" && v != "error") {
           return Status(InvalidInput("logging.level must be debug, info, warn or error"));
         }
         c.log_level = v;
         return Status::Ok();
       }, nullptr},
  };
  return settings;
}

Status ApplyFile(const std::filesystem::path& file, Config& config) {
  toml::table table;
  try {
    table = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    return InvalidInput("config " + file.string() + ": " + std::string(e.description()));
  }
  for (const Setting& setting : Settings()) {
    const toml::node_view node = table.at_path(setting.toml_path);
    if (!node) continue;
    Status status;
    if (setting.kind == Setting::kText) {
      const auto value = node.value<std::string>();
      if (!value) return InvalidInput(std::string(setting.toml_path) + " must be a string");
      status = setting.set_text(config, *value);
    } else {
      const auto value = node.value<std::int64_t>();
      if (!value) return InvalidInput(std::string(setting.toml_path) + " must be an integer");
      status = setting.set_integer(config, *value);
    }
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

Status ApplyEnvironment(Config& config) {
  for (const Setting& setting : Settings()) {
    const char* value = std::getenv(setting.env);
    if (value == nullptr) continue;
    Status status;
    if (setting.kind == Setting::kText) {
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

Result<Config> LoadConfig(const std::optional<std::filesystem::path>& file) {
  Config config;
  if (file) {
    if (Status s = ApplyFile(*file, config); !s.ok()) return s.error();
  }
  if (Status s = ApplyEnvironment(config); !s.ok()) return s.error();
  return config;
}

}  // namespace pacsport
