#include "http/server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>

#include "http/request_parsing.h"
#include "http/responses.h"
#include "http/router.h"
#include "http/routes.h"

namespace pacsport {
namespace {

thread_local std::chrono::steady_clock::time_point request_started;

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

}  // namespace

struct HttpServer::Impl {
  HttpServices services;
  HttpSettings settings;
  std::unique_ptr<httplib::Server> server;
  http::DownloadLinks links;
};

HttpServer::HttpServer(HttpServices services, HttpSettings settings)
    : impl_(new Impl{services, settings, nullptr, http::DownloadLinks(settings.download_link_lifetime)}) {
  impl_->server = MakeServer(impl_->settings);
  httplib::Server& server = *impl_->server;
  const int threads = impl_->settings.worker_threads;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_read_timeout(std::chrono::seconds(30));
  // A write that the client accepts nothing of waits at most twice this: the rest of
  // a send() under SO_SNDTIMEO, then one wait to become writable; so within the stall.
  server.set_write_timeout(std::chrono::duration_cast<std::chrono::milliseconds>(impl_->settings.client_stall) / 2);
  server.set_payload_max_length(impl_->settings.max_upload_bytes);
  server.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
    request_started = std::chrono::steady_clock::now();
    http::Router::ResetLabel();
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // Answers that cpp-httplib makes itself (no route, malformed request, body too
  // large) get the one error shape too.
  // The browser UI, when built: its files, and its index.html for the app's own paths.
  std::string app_index;
  if (const auto& root = impl_->settings.web_root;
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
      case 404: return http::SendError(res, NotFound("no such route"));
      case 413: return http::SendError(res, Error(ErrorCode::kPayloadTooLarge, "request body too large"));
      case 415: return http::SendError(res, Error(ErrorCode::kUnsupportedMediaType, "unsupported body"));
      default:
        if (res.status >= 400 && res.status < 500) {
          return http::SendError(res, InvalidInput("malformed request"));
        }
        return http::SendError(res, Internal("the request could not be served"));
    }
  });
  // One line per request; the route pattern stands in for the path, which may hold
  // patient identifiers.
  server.set_logger([](const httplib::Request& req, const httplib::Response& res) {
    const auto elapsed = std::chrono::steady_clock::now() - request_started;
    const std::string& label = http::Router::CurrentLabel();
    spdlog::info("request route=\"{}\" status={} ms={} client={}",
                 label.empty() ? req.method + " (unrouted)" : label, res.status,
                 std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count(),
                 req.remote_addr);
  });

  http::Router router(server);
  http::RegisterHealthRoute(router, impl_->services);
  http::RegisterAuthRoutes(router, impl_->services, impl_->settings);
  http::RegisterBrowseRoutes(router, impl_->services);
  http::RegisterIngestRoutes(router, impl_->services);
  http::RegisterExportRoutes(router, impl_->services, impl_->settings, impl_->links);
  http::RegisterAuditRoutes(router, impl_->services);
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
  if (!server.listen_after_bind()) return Unavailable("the HTTP server stopped unexpectedly");
  return Status::Ok();
}

void HttpServer::Stop() { impl_->server->stop(); }

}  // namespace pacsport
