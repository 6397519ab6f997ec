// ConnectionLimits: admission and deadlines of the HTTP server's connections.
//
// cpp-httplib serves a connection on one thread from accept to close. So that slow or
// idle clients cannot hold the server, every accepted socket is admitted here first
// (through accept_hook.h): at most `max_connections` in all and `max_per_address` from
// one client address; a socket over either gets a short 503 or 429 and is closed.
// An admitted connection is then followed through its phases:
//   awaiting a request  from admission or its previous response until its request line
//                       and headers are read: at most `request_header_timeout` (this
//                       covers keep-alive idling and a TLS handshake too);
//   serving             from its headers to the end of its response: no deadline here
//                       (each socket read and write has its own timeout).
// Admitted sockets get TCP_NODELAY (see Admit).
// A watchdog thread shuts down (both ways) a connection whose deadline passed, so the
// read blocking its thread returns at once and the connection closes.
// A request refused before its body was read asks for CloseAfterResponse: once the
// answer is written, the connection is half-closed and the unread body drained for a
// moment (so the client reads the answer rather than a reset), then closed.
// The phase calls act on the calling thread's connection (see ConnectionThreads) and are
// no-ops on any other thread. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

namespace pacsport::http {

struct ConnectionLimitSettings {
  int max_connections = 512;  // < FD_SETSIZE: cpp-httplib waits on sockets with select()
  int max_per_address = 64;
  std::chrono::milliseconds request_header_timeout{10'000};
};

class ConnectionLimits {
 public:
  using ConnectionId = std::uint64_t;

  explicit ConnectionLimits(ConnectionLimitSettings settings);
  ~ConnectionLimits();  // stops the watchdog
  ConnectionLimits(const ConnectionLimits&) = delete;
  ConnectionLimits& operator=(const ConnectionLimits&) = delete;

  // An accept filter (accept_hook.h): admits `fd` and remembers it as the accepting
  // thread's latest admission, or answers it 503/429 and returns false.
  bool Admit(int fd);
  // The connection the calling (accepting) thread admitted last; 0 when none. Clears it.
  ConnectionId TakeAdmitted();

  // Binds the calling thread to `id` (from TakeAdmitted) until Release, which forgets
  // the connection. The socket itself is closed by cpp-httplib.
  void Bind(ConnectionId id);
  void Release();

  // The calling thread's connection has read a request's headers.
  void RequestStarted();
  // Its response is written; it awaits its next request (or closes, if so asked).
  void ResponseSent();
  // Asks for the lingering close described above once the calling thread's current
  // response is written (static: route handlers know no ConnectionLimits).
  static void CloseAfterResponse();

  // Counts, for tests and /api/health: connections open now.
  int open_connections() const;

 private:
  struct Connection {
    int fd;
    std::string address;
    std::uint16_t port;
    // steady_clock::time_point::max() while serving a request.
    std::chrono::steady_clock::time_point deadline;
    bool shut_down = false;
    bool close_after_response = false;
  };

  void MarkCloseAfterResponse();
  void Watch();
  void LingeringClose(int fd);
  // The calling thread's connection; requires mutex_.
  Connection* Current();

  const ConnectionLimitSettings settings_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::unordered_map<ConnectionId, Connection> connections_;  // Protected by mutex_
  std::unordered_map<std::string, int> per_address_;          // Protected by mutex_
  ConnectionId next_id_ = 1;                                  // Protected by mutex_
  std::uint64_t refused_ = 0;  // Protected by mutex_; logged by the watchdog
  bool stopping_ = false;      // Protected by mutex_
  std::thread watchdog_;
};

}  // namespace pacsport::http
