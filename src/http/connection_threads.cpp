#include "http/connection_threads.h"

#include <system_error>
#include <thread>

namespace pacsport::http {

void ConnectionThreads::enqueue(std::function<void()> connection) {
  const ConnectionLimits::ConnectionId id = limits_.TakeAdmitted();
  {
    std::lock_guard lock(mutex_);
    ++running_;
  }
  auto serve = [this, id, connection = std::move(connection)] {
    limits_.Bind(id);
    connection();
    limits_.Release();
    std::lock_guard lock(mutex_);
    if (--running_ == 0) finished_.notify_all();
  };
  try {
    std::thread(serve).detach();
  } catch (const std::system_error&) {
    serve();  // no thread to be had: serve it here rather than leak the socket
  }
}

void ConnectionThreads::shutdown() {
  std::unique_lock lock(mutex_);
  finished_.wait(lock, [this] { return running_ == 0; });
}

}  // namespace pacsport::http
