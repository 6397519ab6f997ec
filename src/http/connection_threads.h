// ConnectionThreads: cpp-httplib's task queue, one thread per admitted connection.
//
// cpp-httplib runs a connection on one task from accept to close. With a fixed pool, a
// few slow or idle clients hold every thread and the next request waits behind them.
// Here each connection gets a thread of its own, bound to its ConnectionLimits entry
// for its whole life; how many run at once is bounded by the limits' admission, not by
// this queue. shutdown() waits for every connection thread to finish. Thread-safe.
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <mutex>

#include "http/connection_limits.h"

namespace pacsport::http {

class ConnectionThreads : public httplib::TaskQueue {
 public:
  // `limits` is borrowed and must outlive the queue.
  explicit ConnectionThreads(ConnectionLimits& limits) : limits_(limits) {}
  ~ConnectionThreads() override { shutdown(); }

  // Called by cpp-httplib on its accepting thread, right after the accept that
  // ConnectionLimits admitted.
  void enqueue(std::function<void()> connection) override;
  void shutdown() override;

 private:
  ConnectionLimits& limits_;
  std::mutex mutex_;
  std::condition_variable finished_;
  int running_ = 0;  // Protected by mutex_
};

}  // namespace pacsport::http
