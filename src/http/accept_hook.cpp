#include "http/accept_hook.h"

#include <dlfcn.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace pacsport::http {
namespace {

thread_local AcceptFilter* thread_filter = nullptr;

using AcceptFunction = int (*)(int, sockaddr*, socklen_t*);

AcceptFunction LibcAccept() {
  static const auto libc_accept = reinterpret_cast<AcceptFunction>(dlsym(RTLD_NEXT, "accept"));
  return libc_accept;
}

}  // namespace

ScopedAcceptFilter::ScopedAcceptFilter(AcceptFilter filter) {
  thread_filter = new AcceptFilter(std::move(filter));
}

ScopedAcceptFilter::~ScopedAcceptFilter() {
  delete thread_filter;
  thread_filter = nullptr;
}

}  // namespace pacsport::http

// Interposes the C library's symbol for the whole process (the executable's definition
// comes first in the dynamic linker's lookup, also for libcpp-httplib.so).
extern "C" int accept(int listener, sockaddr* address, socklen_t* length) {
  namespace http = pacsport::http;
  const int fd = http::LibcAccept()(listener, address, length);
  if (fd < 0 || http::thread_filter == nullptr) return fd;
  if ((*http::thread_filter)(fd)) return fd;
  close(fd);
  errno = EINTR;
  return -1;
}
