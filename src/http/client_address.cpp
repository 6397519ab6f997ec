#include "http/client_address.h"

namespace pacsport::http {
namespace {

thread_local std::string current_address;

}  // namespace

void BeginClientAddress(const httplib::Request& req, const TrustedProxies& proxies) {
  // Several X-Forwarded-For headers are one list, in the order they came.
  std::string forwarded_for;
  const std::size_t headers = req.get_header_value_count("X-Forwarded-For");
  for (std::size_t i = 0; i < headers; ++i) {
    if (i > 0) forwarded_for += ',';
    forwarded_for += req.get_header_value("X-Forwarded-For", i);
  }
  current_address = proxies.ClientAddress(req.remote_addr, forwarded_for);
}

const std::string& CurrentClientAddress() { return current_address; }

void EndClientAddress() { current_address.clear(); }

}  // namespace pacsport::http
