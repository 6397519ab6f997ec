// HttpServer: pacsport's REST API and the browser UI over cpp-httplib.
//
// Every /api route except login, health and single-use links requires a Bearer JWT;
// each answers JSON, errors as {"error": {"code", "message"}}. Before a request's body
// is read or a handler runs, ConnectionLimits has admitted its connection and
// RequestGate has checked its shape, route, size and caller (rate limits). One catch
// boundary turns any escaped ErrorException into its status and anything else into 500.
// A request's client is its connection's address or, from a proxy listed in
// trusted_proxies, the client that proxy forwards for (http/trusted_proxies.h): the one
// rate-limited, audited and logged. Every response carries X-Request-Id and
// X-Content-Type-Options: nosniff. One structured log line per request names the route
// pattern, never the path, so no patient data is logged. Listen blocks until Stop is called from another thread.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "auth/jwt.h"
#include "auth/login_rate_limiter.h"
#include "auth/signing_key.h"
#include "core/error.h"
#include "delivery/destinations.h"
#include "delivery/schedules.h"
#include "export/export_jobs.h"
#include "export/export_service.h"
#include "http/trusted_proxies.h"
#include "index/index.h"
#include "ingest/ingestor.h"
#include "storage/source_status.h"

namespace pacsport {

struct HttpSettings {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string tls_certificate;  // PEM paths; HTTPS when both are set
  std::string tls_private_key;
  std::chrono::seconds token_ttl{8 * 3600};
  int default_compression_level = 9;
  std::size_t max_upload_bytes = std::size_t{1} << 30;
  // Connections: each is served on a thread of its own (decision 0008); these bound
  // them. A client over its address's share gets 429, one over the total 503.
  int max_connections = 512;
  int max_connections_per_address = 64;
  // From a connection's admission or previous response to its next request's last
  // header line; slower clients are disconnected.
  std::chrono::seconds request_header_timeout{10};
  // Token buckets (burst: four times the rate): requests without a valid JWT per client
  // address, requests with one per user. Over them: 429 with Retry-After.
  int anonymous_requests_per_second = 10;
  int user_requests_per_second = 50;
  // The built browser UI (web/dist), served at "/" with index.html for any other GET
  // outside /api (the single-page app routes itself); empty or absent: none.
  std::string web_root = "web/dist";
  std::chrono::seconds download_link_lifetime{60};  // at most a minute
  // A client that accepts no byte of a response for this long is dropped (an export
  // then ends "aborted" and gives its slot back); not before half of it.
  std::chrono::seconds client_stall{20};
  // An export estimated at this size or more is better run as a job (the estimate's
  // asJob, which the UI follows); 0: every export.
  std::int64_t job_threshold_bytes = std::int64_t{512} << 20;
  // [server] trusted_proxies: reverse proxies whose X-Forwarded-For names the client
  // (http/trusted_proxies.h); none by default, so the client is the connection's address.
  http::TrustedProxies trusted_proxies;
  // [metrics] bearer_token: GET /metrics requires "Authorization: Bearer <it>"; empty:
  // /metrics answers loopback clients only.
  std::string metrics_bearer_token;
};

// The services the routes call. All are borrowed and must outlive the server.
struct HttpServices {
  Index& index;
  Ingestor& ingestor;
  ExportService& exports;
  ExportJobs& jobs;
  const auth::JwtCodec& jwt;
  auth::LoginRateLimiter& login_limiter;
  // Thumbnails: the study's first file, read from its source, rendered in a worker.
  DicomSource& sources;
  preview::PreviewPool& previews;
  // Every source's status, for /api/health; called on each request, so it must be
  // quick and thread-safe.
  std::function<std::vector<SourceStatus>()> source_statuses;
  // The key that signs the audit chain and receipts, published at /api/audit/public-key.
  const auth::PublicKey& audit_key;
  delivery::Destinations& destinations;
  delivery::Schedules& schedules;
};

class HttpServer {
 public:
  HttpServer(HttpServices services, HttpSettings settings);
  ~HttpServer();

  // Binds and serves until Stop(). kUnavailable when the address cannot be bound or
  // the TLS files cannot be loaded. `on_listening` runs once bound, with the port.
  Status Listen(const std::function<void(int port)>& on_listening = {});
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pacsport
