#include "http/router.h"

#include "core/error.h"
#include "http/responses.h"

namespace pacsport::http {
namespace {

thread_local std::string current_label;

}  // namespace

const std::string& Router::CurrentLabel() { return current_label; }

void Router::ResetLabel() { current_label.clear(); }

Handler Router::Guard(std::string label, Handler handler) {
  return [label = std::move(label), handler = std::move(handler)](const httplib::Request& req,
                                                                  httplib::Response& res) {
    current_label = req.method + " " + label;
    try {
      handler(req, res);
    } catch (const ErrorException& e) {
      SendError(res, e.error());
    } catch (const std::exception& e) {
      SendError(res, Internal("unexpected error"));
    }
  };
}

void Router::Get(const std::string& pattern, const std::string& label, Handler handler) {
  server_.Get(pattern, Guard(label, std::move(handler)));
}

void Router::Post(const std::string& pattern, const std::string& label, Handler handler) {
  server_.Post(pattern, Guard(label, std::move(handler)));
}

void Router::Put(const std::string& pattern, const std::string& label, Handler handler) {
  server_.Put(pattern, Guard(label, std::move(handler)));
}

}  // namespace pacsport::http
