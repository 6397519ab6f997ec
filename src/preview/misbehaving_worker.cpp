// A preview worker for preview_test that misbehaves on request, to prove that the
// pool survives what no honest input can make the real worker do: broken replies.
// The object's bytes name the behaviour; "one-frame" behaves, anything else
// renders nothing and reports an object of zero frames.
#include <signal.h>
#include <unistd.h>

#include <string>

#include "preview/worker_protocol.h"

using namespace pacsport::preview;

int main() {
  while (true) {
    auto request = ReadRequest(STDIN_FILENO);
    if (!request.ok() || !*request) return 0;
    const std::string object((*request)->object.bytes());
    if (object == "crash") ::raise(SIGSEGV);
    if (object == "spin") {
      volatile unsigned long spins = 0;
      while (true) spins = spins + 1;
    }
    if (object == "sleep") ::pause();
    if (object == "exit") return 7;
    if (object == "garbage") {
      const std::string junk(64, '\x7f');
      (void)::write(STDIN_FILENO, junk.data(), junk.size());
      continue;
    }
    if (object == "not-png") {
      (void)SendReply(STDIN_FILENO, {ReplyKind::kFrame, 1, 1, 0, "GIF89a"});
      continue;
    }
    if (object == "one-frame" || object == "extra-frames") {
      for (int i = object == "one-frame" ? 2 : 0; i < 3; ++i) {
        (void)SendReply(STDIN_FILENO, {ReplyKind::kFrame, 1, 1, 0, "\x89PNG\r\n\x1a\nxx"});
      }
    }
    (void)SendReply(STDIN_FILENO, {ReplyKind::kDone, 0, 0, object == "one-frame", {}});
  }
}
