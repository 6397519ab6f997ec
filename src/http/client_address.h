// The client address of the calling thread's request: decided once, when the request
// starts (TrustedProxies::ClientAddress over its connection's address and its
// X-Forwarded-For headers), then read by everything that names or limits a client —
// the request gate's rate limit, the login throttle, audit records, the access log and
// the /metrics loopback rule. Held per request thread. Internal to src/http.
#pragma once

#include <httplib.h>

#include <string>

#include "http/trusted_proxies.h"

namespace pacsport::http {

// Decides the calling thread's request's client address.
void BeginClientAddress(const httplib::Request& req, const TrustedProxies& proxies);
// The calling thread's request's client address; empty before BeginClientAddress (a
// request cpp-httplib refused before the gate).
const std::string& CurrentClientAddress();
// Forgets it; called once the response is written.
void EndClientAddress();

}  // namespace pacsport::http
