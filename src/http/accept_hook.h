// The HTTP server's accept(), observed.
//
// cpp-httplib accepts each connection inside its listen loop and hands it straight to
// its task queue: it offers no callback in between, where pacsport must count the
// connection against its client address and arm its request deadline. So this file
// interposes the C library's accept(). On a thread that holds a ScopedAcceptFilter,
// every accepted socket goes through the filter first; a refused socket is closed and
// the caller sees EINTR (cpp-httplib then simply accepts again). On every other thread
// accept() is the C library's, unchanged. Why not an event-driven server instead:
// docs/decisions/0008-http-front.md.
#pragma once

#include <functional>

namespace pacsport::http {

// Decides on a freshly accepted socket: true keeps it, false refuses it (the filter may
// write a short answer first; the hook closes it).
using AcceptFilter = std::function<bool(int fd)>;

// Installs `filter` for the calling thread's accept() calls until destroyed. Not nestable.
class ScopedAcceptFilter {
 public:
  explicit ScopedAcceptFilter(AcceptFilter filter);
  ~ScopedAcceptFilter();
  ScopedAcceptFilter(const ScopedAcceptFilter&) = delete;
  ScopedAcceptFilter& operator=(const ScopedAcceptFilter&) = delete;
};

}  // namespace pacsport::http
