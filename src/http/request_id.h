// The request id: one per request, sent back as X-Request-Id, written in the access log
// line and in the export's audit record, so one can be found from the other. A client's
// (or a proxy's) own X-Request-Id is kept when it is 1-64 of [A-Za-z0-9._-]; otherwise
// the server makes one. Held per request thread. Internal to src/http.
#pragma once

#include <httplib.h>

#include <string>

namespace pacsport::http {

// Starts the calling thread's request: adopts the request's id or makes one.
void BeginRequestId(const httplib::Request& req);
// The calling thread's request id; makes one if BeginRequestId was not called (a request
// refused before routing).
const std::string& CurrentRequestId();
// Forgets it; called once the response is written.
void EndRequestId();

}  // namespace pacsport::http
