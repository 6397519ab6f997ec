#include "http/router.h"

#include <spdlog/spdlog.h>

#include "core/error.h"
#include "http/connection_limits.h"
#include "http/responses.h"

namespace pacsport::http {
namespace {

thread_local std::string current_label;

}  // namespace

const std::string& Router::CurrentLabel() { return current_label; }

void Router::ResetLabel() { current_label.clear(); }

void Router::Run(const std::string& label, const httplib::Request& req, httplib::Response& res,
                 const std::function<void()>& handle) {
  current_label = req.method + " " + label;
  try {
    handle();
  } catch (const ErrorException& e) {
    SendError(res, e.error());
  } catch (const std::exception& e) {
    SendError(res, Internal("unexpected error"));
  }
}

Handler Router::Guard(std::string label, Handler handler) {
  return [label = std::move(label), handler = std::move(handler)](const httplib::Request& req,
                                                                  httplib::Response& res) {
    Run(label, req, res, [&] { handler(req, res); });
  };
}

void Router::Add(std::string method, const std::string& pattern, const std::string& label,
                 Body body, Access access) {
  // The route table, for the test that compares it with docs/openapi.json.
  spdlog::debug("event=route route=\"{} {}\"", method, label);
  routes_.push_back(Route{std::move(method), std::regex(pattern), label, body, access});
}

void Router::Get(const std::string& pattern, const std::string& label, Handler handler,
                 Access access) {
  Add("GET", pattern, label, Body::kNone, access);
  server_.Get(pattern, Guard(label, std::move(handler)));
}

void Router::Post(const std::string& pattern, const std::string& label, Handler handler, Body body,
                  Access access) {
  Add("POST", pattern, label, body, access);
  server_.Post(pattern, Guard(label, std::move(handler)));
}

void Router::Put(const std::string& pattern, const std::string& label, Handler handler, Body body,
                 Access access) {
  Add("PUT", pattern, label, body, access);
  server_.Put(pattern, Guard(label, std::move(handler)));
}

void Router::Delete(const std::string& pattern, const std::string& label, Handler handler,
                    Access access) {
  Add("DELETE", pattern, label, Body::kNone, access);
  server_.Delete(pattern, Guard(label, std::move(handler)));
}

void Router::PostStreamed(const std::string& pattern, const std::string& label,
                          StreamedHandler handler, Body body, Access access) {
  Add("POST", pattern, label, body, access);
  server_.Post(pattern, [label, handler = std::move(handler)](const httplib::Request& req,
                                                              httplib::Response& res,
                                                              const httplib::ContentReader& body) {
    bool body_read = false;
    const httplib::ContentReader reader(
        [&](httplib::ContentReceiver receiver) {
          body_read = true;
          return body(std::move(receiver));
        },
        [&](httplib::MultipartContentHeader header, httplib::ContentReceiver receiver) {
          body_read = true;
          return body(std::move(header), std::move(receiver));
        });
    Run(label, req, res, [&] { handler(req, res, reader); });
    if (!body_read && !req.get_header_value("Content-Length").empty() &&
        req.get_header_value("Content-Length") != "0") {
      ConnectionLimits::CloseAfterResponse();
    }
  });
}

const Route* Router::Find(const std::string& method, const std::string& path) const {
  const std::string routed = method == "HEAD" ? "GET" : method;
  for (const Route& route : routes_) {
    if (route.method == routed && std::regex_match(path, route.pattern)) return &route;
  }
  return nullptr;
}

}  // namespace pacsport::http
