// Router: registers route handlers on a cpp-httplib server behind one catch boundary
// and remembers, per request thread, which route pattern is being served so that the
// request log never needs the (patient-identifying) path. Internal to src/http.
#pragma once

#include <httplib.h>

#include <functional>
#include <string>

namespace pacsport::http {

using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

class Router {
 public:
  explicit Router(httplib::Server& server) : server_(server) {}

  // `pattern` is a regular expression over the decoded path; `label` the route as
  // documented, e.g. "/api/studies/:studyUID".
  void Get(const std::string& pattern, const std::string& label, Handler handler);
  void Post(const std::string& pattern, const std::string& label, Handler handler);
  void Put(const std::string& pattern, const std::string& label, Handler handler);

  // The label of the route the calling thread is serving ("" before routing).
  static const std::string& CurrentLabel();
  // Forgets the label; called when a new request arrives on the thread.
  static void ResetLabel();

 private:
  Handler Guard(std::string label, Handler handler);

  httplib::Server& server_;
};

}  // namespace pacsport::http
