// WorkerProcess: one preview worker, a child process of the server running the
// pacsport-preview-worker executable, and the stream socket to it.
//
// The child holds nothing of the server's: an empty environment (no secret the
// server was given, PACSPORT_JWT_SECRET included), and only the descriptors of its
// protocol: the socket as stdin, /dev/null as stdout and a pipe as stderr, which the
// server reads and re-logs escaped (StderrRelay); every other descriptor is closed
// before exec. (A sanitizer build passes on its runtime's *_OPTIONS variables.)
//
// The limits are the kernel's, set on the child from outside before it sees any
// input: an address-space limit (RLIMIT_AS, hard, so a worker that is taken over
// cannot lift it), no core files, and a CPU-time allowance granted frame by frame
// (the soft RLIMIT_CPU: SIGXCPU ends the worker when it runs out; the hard limit
// stays open, since an unprivileged server could never raise it again, so the
// caller also needs a wall-clock deadline).
// Not thread-safe: one thread uses a worker at a time. The destructor kills it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "core/error.h"
#include "preview/stderr_relay.h"

namespace pacsport::preview {

// Exit status of a worker whose allocation failed under its memory limit.
inline constexpr int kExitOutOfMemory = 3;

class WorkerProcess {
 public:
  // kUnavailable when the executable cannot be started. memory_limit_bytes 0: none.
  static Result<std::unique_ptr<WorkerProcess>> Start(const std::filesystem::path& executable,
                                                      uint64_t memory_limit_bytes);
  ~WorkerProcess();
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  int socket() const { return socket_; }
  // The worker's stderr; the holder drains it while it waits for the worker.
  StderrRelay& stderr_relay() { return stderr_; }

  // Lets the worker use `allowance` more CPU time than it has used so far.
  Status GrantCpu(std::chrono::seconds allowance);

  // Ends the worker (waiting up to `grace` for it to end by itself, then SIGKILL)
  // and says how it ended, as the end of a sentence: "crashed (SIGSEGV)",
  // "exceeded its CPU time", "ran out of memory", "exited with status 1", or
  // "was stopped" when it was still running. What it wrote to stderr is relayed.
  // Later calls give the same answer.
  std::string End(std::chrono::milliseconds grace);

 private:
  // End without the relay: shuts the socket, waits, kills, reaps.
  std::string Reap(std::chrono::milliseconds grace);
  WorkerProcess(pid_t pid, int socket, int stderr_fd)
      : pid_(pid), socket_(socket), stderr_(stderr_fd, pid) {}

  pid_t pid_;
  int socket_;
  StderrRelay stderr_;
  std::optional<std::string> ending_;  // End's answer, once it was called
};

}  // namespace pacsport::preview
