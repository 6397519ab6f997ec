// Router: registers route handlers on a cpp-httplib server behind one catch boundary,
// keeps the route table that RequestGate consults before a request's body is read, and
// remembers, per request thread, which route pattern is being served so that the
// request log never needs the (patient-identifying) path. Internal to src/http.
#pragma once

#include <httplib.h>

#include <functional>
#include <regex>
#include <string>
#include <vector>

namespace pacsport::http {

using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
// A handler that reads the request body itself, as it arrives (uploads).
using StreamedHandler =
    std::function<void(const httplib::Request&, httplib::Response&, const httplib::ContentReader&)>;

// What a route reads as its body; RequestGate refuses any other body before reading it.
enum class Body {
  kNone,   // none (a Content-Length of 0 at most)
  kJson,   // a small JSON document
  kDicom,  // a DICOM file, up to the server's upload limit
};

// Who may call a route.
enum class Access {
  kToken,      // a Bearer JWT; callers without a valid one are throttled per address
  kAnonymous,  // no JWT (login, single-use links): throttled per address
  kOpen,       // no JWT and never throttled (health checks)
};

struct Route {
  std::string method;  // "GET" (also serves HEAD), "POST", "PUT", "DELETE"
  std::regex pattern;
  std::string label;
  Body body;
  Access access;
};

class Router {
 public:
  explicit Router(httplib::Server& server) : server_(server) {}

  // `pattern` is a regular expression over the decoded path; `label` the route as
  // documented, e.g. "/api/studies/:studyUID".
  void Get(const std::string& pattern, const std::string& label, Handler handler,
           Access access = Access::kToken);
  void Post(const std::string& pattern, const std::string& label, Handler handler,
            Body body = Body::kNone, Access access = Access::kToken);
  void Put(const std::string& pattern, const std::string& label, Handler handler,
           Body body = Body::kNone, Access access = Access::kToken);
  void Delete(const std::string& pattern, const std::string& label, Handler handler,
              Access access = Access::kToken);
  // A POST whose handler reads the body itself. If it answers without reading a body
  // that was announced, the connection is closed after the answer.
  void PostStreamed(const std::string& pattern, const std::string& label, StreamedHandler handler,
                    Body body, Access access = Access::kToken);

  // The route that will serve `method` on `path`, or null. Thread-safe once every route
  // is registered.
  const Route* Find(const std::string& method, const std::string& path) const;

  // The label of the route the calling thread is serving ("" before routing).
  static const std::string& CurrentLabel();
  // Forgets the label; called when a new request arrives on the thread.
  static void ResetLabel();

 private:
  // The one catch boundary: runs `handle` as route `label`, answering any escaped error.
  static void Run(const std::string& label, const httplib::Request& req, httplib::Response& res,
                  const std::function<void()>& handle);
  Handler Guard(std::string label, Handler handler);
  void Add(std::string method, const std::string& pattern, const std::string& label, Body body,
           Access access);

  httplib::Server& server_;
  std::vector<Route> routes_;
};

}  // namespace pacsport::http
