// serve: the HTTP API until SIGINT or SIGTERM.
#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <iostream>
#include <optional>
#include <thread>

#include "app/commands.h"
#include "app/data_directory.h"
#include "app/deidentify_keys.h"
#include "app/pacs_sources.h"
#include "audit/audit_archiver.h"
#include "audit/audit_forwarder.h"
#include "auth/jwt.h"
#include "auth/login_rate_limiter.h"
#include "auth/secret_box.h"
#include "core/clock.h"
#include "core/replica_id.h"
#include "deid/project_keys.h"
#include "delivery/destinations.h"
#include "delivery/durable_links.h"
#include "delivery/scheduler.h"
#include "delivery/schedules.h"
#include "dicom/initialize.h"
#include "export/export_service.h"
#include "http/server.h"
#include "ingest/ingestor.h"

namespace pacsport {
namespace {

void ConfigureLogging(const std::string& level) {
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ level=%l %v", spdlog::pattern_time_type::utc);
  spdlog::set_level(spdlog::level::from_str(level));
}

sigset_t StopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  return signals;
}

// Blocks SIGINT/SIGTERM in the calling thread and every thread it starts afterwards;
// called before any thread starts, so that only StopOnSignal's thread takes them.
void BlockStopSignals() {
  const sigset_t signals = StopSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

// A thread that calls `stop` when SIGINT or SIGTERM arrives.
std::jthread StopOnSignal(std::function<void()> stop) {
  return std::jthread([stop = std::move(stop)] {
    const sigset_t signals = StopSignals();
    int received = 0;
    sigwait(&signals, &received);
    spdlog::info("event=shutdown signal={}", received);
    stop();
  });
}

// The key sealing destinations' secrets ([delivery]): the configured key, else the key
// file, created on first use.
Result<auth::SecretBox> OpenSecretBox(const DeliveryConfig& delivery,
                                      const std::filesystem::path& data) {
  if (!delivery.secrets_key.empty()) return auth::SecretBox::FromBase64(delivery.secrets_key);
  const std::filesystem::path file = delivery.secrets_key_file.empty()
                                         ? data / "destination-secrets-key"
                                         : std::filesystem::path(delivery.secrets_key_file);
  return auth::SecretBox::LoadOrCreate(file);
}

// The forwarder of the audit trail to the configured syslog repository, started;
// null when none is configured. kInvalidInput when its TLS files cannot be loaded.
Result<std::unique_ptr<audit::AuditForwarder>> StartAuditForwarding(const Config& config,
                                                                    audit::AuditChain& chain) {
  if (config.audit_syslog.url.empty()) return std::unique_ptr<audit::AuditForwarder>();
  auto sender = audit::SyslogSender::Create(config.audit_syslog);
  if (!sender.ok()) return sender.error();
  audit::ForwarderSettings settings;
  settings.destination = config.audit_syslog.url;
  settings.hostname = audit::LocalHostName();
  settings.source.audit_source_id =
      config.audit_source_id.empty() ? settings.hostname : config.audit_source_id;
  settings.source.process_id = std::to_string(::getpid());
  auto forwarder = std::make_unique<audit::AuditForwarder>(chain, std::move(*sender), settings);
  spdlog::info("event=audit_forwarding url={} source_id={}", settings.destination,
               settings.source.audit_source_id);
  forwarder->Start();
  return forwarder;
}

}  // namespace

int RunServe(const ServeOptions& options) {
  ::signal(SIGPIPE, SIG_IGN);
  BlockStopSignals();
  auto config = LoadConfig(options.config);
  if (!config.ok()) return Fail(config.error());
  if (options.listen) {
    if (Status s = ParseListen(*options.listen, config->http); !s.ok()) return Fail(s.error());
  }
  ConfigureLogging(config->log_level);

  auto dir = DataDirectory::Open(options.data, config->index_url);
  if (!dir.ok()) return Fail(dir.error());
  spdlog::info("event=index_opened index={}",
               config->index_url.empty() ? "sqlite" : IndexUrlForLog(config->index_url));
  auto secret = (*dir)->JwtSecret(*config, options.demo ? DataDirectory::KeptSecret::kUseOrCreate
                                                        : DataDirectory::KeptSecret::kIgnore);
  if (!secret.ok()) return Fail(secret.error().message() + " (or start with --demo)");
  std::unique_ptr<auth::JwtCodec> jwt;
  try {
    jwt = std::make_unique<auth::JwtCodec>(*secret, MaxTokenLifetime(*config));
  } catch (const std::invalid_argument& e) {
    return Fail(std::string("JWT secret rejected: ") + e.what());
  }
  Index& index = (*dir)->index();
  index.SetAuditReplica(ThisReplicaId());
  // Records of replicas alive within a lease are theirs to complete; those of the CLI
  // (no replica) are failed as before, once, at a replica's start.
  const std::string alive_since = Iso8601(std::chrono::system_clock::now() - config->jobs.lease);
  if (auto interrupted = index.FailInterruptedAudits(alive_since, UnownedAudits::kFail);
      interrupted.ok() && *interrupted > 0) {
    spdlog::warn("event=audit_recovered interrupted_exports={}", *interrupted);
  }

  dicom::Initialize();
  config->preview.worker_executable = preview::DefaultWorkerExecutable();
  auto previews = preview::PreviewPool::Create(config->preview);
  if (!previews.ok()) return Fail(previews.error());
  const preview::PreviewPoolSettings& limits = (*previews)->settings();
  spdlog::info(
      "event=preview_workers count={} memory_limit_mb={} frame_cpu_seconds={} "
      "max_frames_per_instance={} max_bytes_per_instance_mb={} max_bytes_per_export_mb={}",
      (*previews)->size(), limits.memory_limit_bytes >> 20, limits.frame_cpu_limit.count(),
      limits.max_frames_per_instance, limits.max_bytes_per_instance >> 20,
      limits.max_bytes_per_export >> 20);
  auto sources = PacsSources::Open(*config, **dir);
  if (!sources.ok()) return Fail(sources.error());
  Ingestor ingestor(index, (*dir)->store(), config->parse_limits);
  auto deidentify_keys = OpenDeidentifyKeys(config->deidentify, options.data);
  if (!deidentify_keys.ok()) return Fail(deidentify_keys.error());
  config->exports.deidentify_keys =
      std::make_shared<const deid::ProjectKeys>(std::move(*deidentify_keys));
  ExportService exports(index, (*sources)->router(), **previews, config->exports,
                        (*dir)->signing_key());
  auto secret_box = OpenSecretBox(config->delivery, options.data);
  if (!secret_box.ok()) return Fail(secret_box.error());
  delivery::SenderContext delivery_context;
  delivery_context.email_link_lifetime = config->delivery.email_link_lifetime;
  // E-mailed links need the address recipients reach this server at.
  std::optional<delivery::DurableLinks> email_links;
  if (!config->delivery.public_url.empty()) email_links.emplace(index, config->delivery.public_url);
  delivery_context.links = email_links ? &*email_links : nullptr;
  delivery::Destinations destinations(index, *secret_box, delivery_context);
  config->jobs.directory = options.data / "jobs";
  ExportJobs jobs(index, exports, config->jobs, &destinations);
  if (Status started = jobs.Start(); !started.ok()) return Fail(started.error());
  const delivery::Scheduler::Clock clock = delivery::ClockFromEnvironment();
  delivery::Schedules schedules(index, jobs, clock, config->http.default_compression_level);
  delivery::Scheduler scheduler(index, schedules, clock);
  scheduler.Start();  // a run missed while the server was down fires now, once
  auth::LoginRateLimiter login_limiter(index);
  std::unique_ptr<HttpServer> server;
  try {
    server = std::make_unique<HttpServer>(
        HttpServices{index, ingestor, exports, jobs, *jwt, login_limiter, (*sources)->router(),
                     **previews, [&sources] { return (*sources)->Statuses(); },
                     (*dir)->signing_key()->public_key(), destinations, schedules},
        config->http);
  } catch (const ErrorException& e) {
    return Fail(e.error());
  }
  const std::jthread retention = audit::StartAuditRetention(
      index, options.data / "audit-archive", config->audit_retention, std::chrono::hours(1));
  audit::IndexAuditChain audit_chain(index);
  auto audit_forwarder = StartAuditForwarding(*config, audit_chain);
  if (!audit_forwarder.ok()) return Fail(audit_forwarder.error());
  std::jthread signal_thread = StopOnSignal([&server] { server->Stop(); });
  (*sources)->StartSyncing(config->jobs.lease);
  const bool tls = !config->http.tls_certificate.empty();
  if (const auto proxies = config->http.trusted_proxies.Ranges(); !proxies.empty()) {
    spdlog::info("event=trusted_proxies ranges={}", fmt::join(proxies, ","));
  }
  Status status = server->Listen([&](int port) {
    spdlog::info("event=listening url={}://{}:{} demo={}", tls ? "https" : "http",
                 config->http.host, port, options.demo);
  });
  if (!status.ok()) {
    ::kill(::getpid(), SIGTERM);  // release the signal thread
    return Fail(status.error());
  }
  return 0;
}

}  // namespace pacsport
