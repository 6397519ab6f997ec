#include "http/server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>

#include "http/accept_hook.h"
#include "http/client_address.h"
#include "http/connection_limits.h"
#include "http/connection_threads.h"
#include "http/request_gate.h"
#include "http/request_id.h"
#include "http/request_parsing.h"
#include "http/responses.h"
#include "http/router.h"
#include "http/routes.h"

namespace pacsport {
namespace {

thread_local std::chrono::steady_clock::time_point request_started;
// Whether the calling thread's request already passed the gate (when answering its
// "Expect: 100-continue"), so that it is not counted twice.
thread_local bool request_gated = false;

std::unique_ptr<httplib::Server> MakeServer(const HttpSettings& settings) {
  if (settings.tls_certificate.empty() != settings.tls_private_key.empty()) {
    throw ErrorException(InvalidInput("TLS needs both a certificate and a private key"));
  }
  if (settings.tls_certificate.empty()) return std::make_unique<httplib::Server>();
  auto server = std::make_unique<httplib::SSLServer>(settings.tls_certificate.c_str(),
                                                     settings.tls_private_key.c_str());
  if (!server->is_valid()) {
    throw ErrorException(Unavailable("cannot load the TLS certificate or private key"));
  }
  return server;
}

http::ConnectionLimitSettings ConnectionSettings(const HttpSettings& settings) {
  return {settings.max_connections, settings.max_connections_per_address,
          settings.request_header_timeout};
}

http::GateSettings GateSettingsOf(const HttpSettings& settings) {
  const auto bucket = [](int per_second) {
    return http::RateLimit{static_cast<double>(per_second), 4.0 * per_second};
  };
  http::GateSettings gate;
  gate.max_upload_bytes = settings.max_upload_bytes;
  gate.anonymous = bucket(settings.anonymous_requests_per_second);
  gate.per_user = bucket(settings.user_requests_per_second);
  return gate;
}

}  // namespace

struct HttpServer::Impl {
  Impl(HttpServices services, HttpSettings settings)
      : services(services),
        settings(std::move(settings)),
        server(MakeServer(this->settings)),
        links(services.index, this->settings.download_link_lifetime),
        limits(ConnectionSettings(this->settings)),
        router(*server),
        gate(router, services.jwt, GateSettingsOf(this->settings)) {}

  // Starts the calling thread's request and runs the gate. False (and `res` holds the
  // answer) when the request is refused.
  bool Admit(const httplib::Request& req, httplib::Response& res) {
    request_started = std::chrono::steady_clock::now();
    http::Router::ResetLabel();
    http::BeginRequestId(req);
    http::BeginClientAddress(req, settings.trusted_proxies);
    limits.RequestStarted();
    const std::optional<http::Refusal> refusal = gate.Check(req, http::CurrentClientAddress());
    if (!refusal) return true;
    http::SendError(res, refusal->error);
    if (refusal->retry_after)
      res.set_header("Retry-After", std::to_string(refusal->retry_after->count()));
    if (refusal->body_unread) http::ConnectionLimits::CloseAfterResponse();
    return false;
  }

  HttpServices services;
  HttpSettings settings;
  std::unique_ptr<httplib::Server> server;
  http::DownloadLinks links;
  http::ConnectionLimits limits;
  http::Router router;
  http::RequestGate gate;
};

HttpServer::HttpServer(HttpServices services, HttpSettings settings)
    : impl_(std::make_unique<Impl>(services, std::move(settings))) {
  Impl& impl = *impl_;
  httplib::Server& server = *impl.server;
  server.new_task_queue = [&impl] { return new http::ConnectionThreads(impl.limits); };
  server.set_keep_alive_timeout(5);
  server.set_read_timeout(impl.settings.request_header_timeout);
  // A write that the client accepts nothing of waits at most twice this: the rest of
  // a send() under SO_SNDTIMEO, then one wait to become writable; so within the stall.
  server.set_write_timeout(
      std::chrono::duration_cast<std::chrono::milliseconds>(impl.settings.client_stall) / 2);
  server.set_payload_max_length(impl.settings.max_upload_bytes);
  // A client that waits for "100 Continue" before sending its body is refused here, so
  // it never sends it; any other request meets the gate before its body is read.
  server.set_expect_100_continue_handler(
      [&impl](const httplib::Request& req, httplib::Response& res) {
        request_gated = impl.Admit(req, res);
        return request_gated ? 100 : res.status;
      });
  server.set_pre_routing_handler([&impl](const httplib::Request& req, httplib::Response& res) {
    if (std::exchange(request_gated, false)) return httplib::Server::HandlerResponse::Unhandled;
    return impl.Admit(req, res) ? httplib::Server::HandlerResponse::Unhandled
                                : httplib::Server::HandlerResponse::Handled;
  });
  server.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("X-Request-Id", http::CurrentRequestId());
  });
  // Answers that cpp-httplib makes itself (no route, malformed request, body too
  // large) get the one error shape too.
  // The browser UI, when built: its files, and its index.html for the app's own paths.
  std::string app_index;
  if (const auto& root = impl.settings.web_root;
      !root.empty() && std::filesystem::is_regular_file(root + "/index.html")) {
    server.set_mount_point("/", root);
    app_index = root + "/index.html";
  }
  server.set_error_handler([app_index](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 404 && !app_index.empty() && req.method == "GET" &&
        !req.path.starts_with("/api/")) {
      std::ifstream index(app_index, std::ios::binary);
      res.status = 200;
      res.set_content(std::string(std::istreambuf_iterator<char>(index), {}), "text/html");
      return;
    }
    switch (res.status) {
      case 404:
        return http::SendError(res, NotFound("no such route"));
      case 413:
        return http::SendError(res, Error(ErrorCode::kPayloadTooLarge, "request body too large"));
      case 415:
        return http::SendError(res, Error(ErrorCode::kUnsupportedMediaType, "unsupported body"));
      case 416:  // a Range header that does not parse
        return res.set_content(
            R"({"error":{"code":"range_not_satisfiable","message":"malformed Range header"}})",
            "application/json");
      default:
        if (res.status >= 400 && res.status < 500) {
          return http::SendError(res, InvalidInput("malformed request"));
        }
        return http::SendError(res, Internal("the request could not be served"));
    }
  });
  // One line per request; the route pattern stands in for the path, which may hold
  // patient identifiers. Then the connection awaits its next request.
  server.set_logger([&impl](const httplib::Request& req, const httplib::Response& res) {
    const auto elapsed = std::chrono::steady_clock::now() - request_started;
    const std::string& label = http::Router::CurrentLabel();
    if (http::CurrentClientAddress().empty()) {
      http::BeginClientAddress(req, impl.settings.trusted_proxies);  // refused before the gate
    }
    spdlog::info("request route=\"{}\" status={} ms={} client={} request_id={}",
                 label.empty() ? req.method + " (unrouted)" : label, res.status,
                 std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count(),
                 http::CurrentClientAddress(), http::CurrentRequestId());
    http::EndRequestId();
    http::EndClientAddress();
    request_gated = false;
    impl.limits.ResponseSent();
  });

  http::RegisterHealthRoute(impl.router, impl.services);
  http::RegisterAuthRoutes(impl.router, impl.services, impl.settings);
  http::RegisterBrowseRoutes(impl.router, impl.services);
  http::RegisterSeriesRoutes(impl.router, impl.services);
  http::RegisterIngestRoutes(impl.router, impl.services);
  http::RegisterExportRoutes(impl.router, impl.services, impl.settings, impl.links);
  http::RegisterAuditRoutes(impl.router, impl.services);
  http::RegisterJobRoutes(impl.router, impl.services, impl.settings, impl.links);
  http::RegisterDestinationRoutes(impl.router, impl.services);
  http::RegisterDeliveryRoutes(impl.router, impl.services);
  http::RegisterScheduleRoutes(impl.router, impl.services);
  http::RegisterOpenApiRoutes(impl.router);
  http::RegisterMetricsRoute(impl.router, impl.services, impl.settings);
}

HttpServer::~HttpServer() = default;

Status HttpServer::Listen(const std::function<void(int port)>& on_listening) {
  httplib::Server& server = *impl_->server;
  int port = impl_->settings.port;
  if (port == 0) {
    port = server.bind_to_any_port(impl_->settings.host);
    if (port < 0) return Unavailable("cannot bind " + impl_->settings.host);
  } else if (!server.bind_to_port(impl_->settings.host, port)) {
    return Unavailable("cannot bind " + impl_->settings.host + ":" + std::to_string(port));
  }
  if (on_listening) on_listening(port);
  const http::ScopedAcceptFilter admission([this](int fd) { return impl_->limits.Admit(fd); });
  if (!server.listen_after_bind()) return Unavailable("the HTTP server stopped unexpectedly");
  return Status::Ok();
}

void HttpServer::Stop() { impl_->server->stop(); }

}  // namespace pacsport
