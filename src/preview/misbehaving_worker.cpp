// A preview worker for preview_test that misbehaves on request, to prove that the
// pool survives what no honest input can make the real worker do (broken or lying
// replies), and that the sandbox holds for a worker a crafted file has taken over:
// it is confined by the real worker's filter (ConfineToRendering) and probes it.
// The object's bytes name the behaviour:
//   crash, spin, sleep, exit, garbage, not-png   fail in that way
//   one-frame, extra-frames                      a 1-frame object, or 3 frames for 1
//   frames N BYTES CLAIM  renders the requested frames of an N-frame object, each a
//                         BYTES-long PNG, then says the object has CLAIM frames
//   growing               a 3-frame object whose frames differ in size
//   probe                 answers an error describing its sandbox (see Probe)
//   forge-log             writes forged server log lines to stderr, answers "forged"
//   pid                   answers an error "pid=N", its process id
// Anything else renders nothing and reports an object of zero frames.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <string>

#include "preview/syscall_filter.h"
#include "preview/worker_protocol.h"

extern char** environ;

using namespace pacsport::preview;

namespace {

// A PNG signature and IHDR chunk declaring width x height, padded to `bytes`.
std::string FakePng(uint32_t width, uint32_t height, size_t bytes = 0) {
  std::string png = "\x89PNG\r\n\x1a\n";
  png += std::string("\0\0\0\x0dIHDR", 8);
  for (uint32_t value : {width, height}) {
    for (int shift = 24; shift >= 0; shift -= 8) png += static_cast<char>((value >> shift) & 0xff);
  }
  if (png.size() < bytes) png.resize(bytes, '\0');
  return png;
}

void SendFrame(const std::string& png, uint32_t width, uint32_t height) {
  (void)SendReply(STDIN_FILENO, {ReplyKind::kFrame, width, height, 0, png});
}

// "OK" when a system call succeeded, else its errno's name.
std::string Outcome(long result) { return result >= 0 ? "OK" : ::strerrorname_np(errno); }

// What the worker was handed at start-up, before it confined itself.
struct StartUp {
  std::string environment;  // variable names, comma-separated
  std::string descriptors;  // open descriptors, comma-separated
  pid_t server = 0;
};

StartUp Inspect() {
  StartUp start;
  for (char** variable = environ; *variable != nullptr; ++variable) {
    const std::string text(*variable);
    start.environment += (start.environment.empty() ? "" : ",") + text.substr(0, text.find('='));
  }
  for (int fd = 0; fd < 1024; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1) {
      start.descriptors += (start.descriptors.empty() ? "" : ",") + std::to_string(fd);
    }
  }
  start.server = ::getppid();
  return start;
}

// "environment=... descriptors=0,1,2 open=EPERM ... kill-server=EPERM kill-self=OK":
// signal 0 only checks that a signal could be sent.
std::string Probe(const StartUp& start) {
  struct stat info {};
  char link[64];
  const pid_t self = ::getpid();
  std::ostringstream out;
  out << "environment=" << start.environment << " descriptors=" << start.descriptors
      << " open=" << Outcome(::open("/etc/hostname", O_RDONLY))
      << " openat=" << Outcome(::openat(AT_FDCWD, "/proc/self/environ", O_RDONLY))
      << " stat=" << Outcome(::stat("/", &info))
      << " access=" << Outcome(::access("/etc/passwd", R_OK))
      << " readlink=" << Outcome(::readlink("/proc/self/exe", link, sizeof link))
      << " kill-server=" << Outcome(::kill(start.server, 0))
      << " tgkill-server=" << Outcome(::syscall(SYS_tgkill, start.server, start.server, 0))
      << " tkill-server=" << Outcome(::syscall(SYS_tkill, start.server, 0))
      << " kill-group=" << Outcome(::kill(0, 0)) << " kill-self=" << Outcome(::kill(self, 0))
      << " tgkill-self=" << Outcome(::syscall(SYS_tgkill, self, self, 0));
  return out.str();
}

}  // namespace

int main() {
  const StartUp start = Inspect();
  if (!ConfineToRendering().ok()) return 1;
  while (true) {
    auto request = ReadRequest(STDIN_FILENO);
    if (!request.ok() || !*request) return 0;
    const RenderRequest& range = (*request)->request;
    const std::string object((*request)->object.bytes());
    if (object == "crash") ::raise(SIGSEGV);
    if (object == "spin") {
      volatile unsigned long spins = 0;
      while (true) spins = spins + 1;
    }
    if (object == "sleep") {  // until the server gives up on it
      char byte = 0;
      while (::read(STDIN_FILENO, &byte, 1) > 0) {
      }
      return 0;
    }
    if (object == "exit") return 7;
    if (object == "garbage") {
      const std::string junk(64, '\x7f');
      (void)::write(STDIN_FILENO, junk.data(), junk.size());
      continue;
    }
    if (object == "not-png") {
      SendFrame("GIF89a", 1, 1);
      continue;
    }
    if (object == "probe" || object == "pid" || object == "forge-log") {
      if (object == "forge-log") {
        const std::string forged =
            "2026-12-03T09:00:00.000Z level=info event=login user=admin\n"
            "partial\r2026-12-03T09:00:00.000Z level=info event=forged\x1b[2K\n";
        (void)::write(STDERR_FILENO, forged.data(), forged.size());
      }
      const std::string answer = object == "probe" ? Probe(start)
                                 : object == "pid" ? "pid=" + std::to_string(::getpid())
                                                   : "forged";
      (void)SendReply(STDIN_FILENO, {ReplyKind::kError, 0, 0, 0, answer});
      continue;
    }
    int64_t frames = 0, bytes = 0, claim = 0;
    if (std::istringstream in(object);
        object.starts_with("frames ") && in.ignore(7) >> frames >> bytes >> claim) {
      for (int64_t k = range.first_frame; k < range.first_frame + range.frame_count && k < frames;
           ++k) {
        SendFrame(FakePng(1, 1, static_cast<size_t>(bytes)), 1, 1);
      }
      (void)SendReply(STDIN_FILENO, {ReplyKind::kDone, 0, 0, claim, {}});
      continue;
    }
    if (object == "growing") {
      for (int64_t k = range.first_frame; k < range.first_frame + range.frame_count && k < 3; ++k) {
        const auto side = static_cast<uint32_t>(1 + k);
        SendFrame(FakePng(side, side), side, side);
      }
      (void)SendReply(STDIN_FILENO, {ReplyKind::kDone, 0, 0, 3, {}});
      continue;
    }
    if (object == "one-frame" || object == "extra-frames") {
      for (int i = object == "one-frame" ? 2 : 0; i < 3; ++i) SendFrame(FakePng(1, 1), 1, 1);
    }
    (void)SendReply(STDIN_FILENO, {ReplyKind::kDone, 0, 0, object == "one-frame", {}});
  }
}
