// StderrRelay: the read end of a preview worker's stderr, re-logged line by line so
// that a worker taken over by a crafted file cannot forge the server's log.
//
// Every line the worker writes becomes one server log record (spdlog's default
// logger, level warn): `event=preview_worker_stderr pid=N line="..."`, with every
// byte outside printable ASCII, and `"` and `\`, escaped as \xHH, so a newline,
// carriage return or terminal escape of the worker's can never start a line of its
// own. A line is cut at kMaxLineBytes, and a worker's output at kMaxBytes in all:
// beyond that it is read and dropped (one record says so), so that a worker cannot
// fill the disk through the log either.
// Not thread-safe: used by the one thread that holds the worker.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace pacsport::preview {

class StderrRelay {
 public:
  static constexpr size_t kMaxLineBytes = 512;
  static constexpr size_t kMaxBytes = size_t{64} << 10;

  // Takes ownership of `fd`, the non-blocking read end of the worker's stderr pipe.
  StderrRelay(int fd, pid_t pid) : fd_(fd), pid_(pid) {}
  ~StderrRelay();
  StderrRelay(const StderrRelay&) = delete;
  StderrRelay& operator=(const StderrRelay&) = delete;

  // The descriptor to poll for input; -1 once the worker closed its end (poll
  // ignores it then).
  int fd() const { return open_ ? fd_ : -1; }

  // Logs every whole line that can be read without blocking.
  void Drain();
  // Drain, then the last line even without its newline. For a worker that has ended.
  void Finish();

 private:
  void Log(std::string_view line);

  const int fd_;
  const pid_t pid_;
  bool open_ = true;
  std::string partial_;  // the line read so far, at most kMaxLineBytes
  bool cut_ = false;     // partial_ was cut; the rest of its line is dropped
  size_t relayed_ = 0;   // bytes of the worker's output read so far
};

// `text` with every byte outside printable ASCII, and `"` and `\`, as \xHH.
std::string EscapeForLog(std::string_view text);

}  // namespace pacsport::preview
