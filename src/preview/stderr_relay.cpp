#include "preview/stderr_relay.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>

namespace pacsport::preview {

std::string EscapeForLog(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string escaped;
  escaped.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && c != '"' && c != '\\') {
      escaped += c;
    } else {
      escaped += {'\\', 'x', kHex[byte >> 4], kHex[byte & 0xf]};
    }
  }
  return escaped;
}

StderrRelay::~StderrRelay() { ::close(fd_); }

void StderrRelay::Log(std::string_view line) {
  spdlog::warn("event=preview_worker_stderr pid={} line=\"{}{}\"", pid_, EscapeForLog(line),
               cut_ ? "...(cut)" : "");
}

void StderrRelay::Drain() {
  char buffer[4096];
  while (open_) {
    const ssize_t got = ::read(fd_, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return;  // EAGAIN: nothing more for now
    if (got == 0) {
      open_ = false;
      return;
    }
    const size_t before = relayed_;
    relayed_ += static_cast<size_t>(got);
    if (before >= kMaxBytes) continue;
    if (relayed_ > kMaxBytes) {
      spdlog::warn("event=preview_worker_stderr pid={} dropped=\"output beyond {} KiB\"", pid_,
                   kMaxBytes >> 10);
    }
    for (const char c :
         std::string_view(buffer, std::min(static_cast<size_t>(got), kMaxBytes - before))) {
      if (c == '\n') {
        Log(partial_);
        partial_.clear();
        cut_ = false;
      } else if (partial_.size() < kMaxLineBytes) {
        partial_ += c;
      } else {
        cut_ = true;
      }
    }
  }
}

void StderrRelay::Finish() {
  Drain();
  if (!partial_.empty()) Log(partial_);
  partial_.clear();
  cut_ = false;
}

}  // namespace pacsport::preview
