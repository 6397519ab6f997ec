#include "preview/syscall_filter.h"

#include <seccomp.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

namespace pacsport::preview {

namespace {

struct FilterDeleter {
  void operator()(void* filter) const { seccomp_release(filter); }
};

// What rendering from memory needs, found by running the pydicom corpus (every
// transfer syntax and photometric interpretation) through a filtered worker. No
// call here takes a path: glibc's fstat is newfstatat with an empty path, which
// would take any path too, so it is left out (stdio copes with its EPERM).
constexpr int kAllowed[] = {
    SCMP_SYS(read),          SCMP_SYS(write),          SCMP_SYS(readv),
    SCMP_SYS(writev),        SCMP_SYS(recvfrom),       SCMP_SYS(sendto),
    SCMP_SYS(recvmsg),       SCMP_SYS(sendmsg),        SCMP_SYS(close),
    SCMP_SYS(fstat),         SCMP_SYS(lseek),          SCMP_SYS(mmap),
    SCMP_SYS(munmap),        SCMP_SYS(mremap),         SCMP_SYS(mprotect),
    SCMP_SYS(brk),           SCMP_SYS(madvise),        SCMP_SYS(futex),
    SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday),   SCMP_SYS(getpid),
    SCMP_SYS(gettid),        SCMP_SYS(getrandom),      SCMP_SYS(sched_yield),
    SCMP_SYS(rt_sigreturn),  SCMP_SYS(rt_sigprocmask), SCMP_SYS(exit),
    SCMP_SYS(exit_group),
};

// What only a taken-over worker would try.
constexpr int kFatal[] = {
    SCMP_SYS(execve),
    SCMP_SYS(execveat),
    SCMP_SYS(fork),
    SCMP_SYS(vfork),
    SCMP_SYS(clone),
    SCMP_SYS(clone3),
    SCMP_SYS(socket),
    SCMP_SYS(connect),
    SCMP_SYS(ptrace),
    SCMP_SYS(process_vm_readv),
    SCMP_SYS(process_vm_writev),
};

// Signals, allowed only to the worker itself: its first argument (pid, thread group
// or thread id; the worker has a single thread, whose id is its pid) is compared.
constexpr int kSelfOnly[] = {SCMP_SYS(kill), SCMP_SYS(tkill), SCMP_SYS(tgkill)};

}  // namespace

Status ConfineToRendering() {
#if defined(__SANITIZE_ADDRESS__)
  return Status::Ok();
#else
  std::unique_ptr<void, FilterDeleter> filter(seccomp_init(SCMP_ACT_ERRNO(EPERM)));
  if (!filter) return Internal("cannot create the worker's system call filter");
  for (int call : kAllowed) {
    if (seccomp_rule_add(filter.get(), SCMP_ACT_ALLOW, call, 0) != 0) {
      return Internal("cannot build the worker's system call filter");
    }
  }
  const auto self = static_cast<scmp_datum_t>(::getpid());
  for (int call : kSelfOnly) {
    if (seccomp_rule_add(filter.get(), SCMP_ACT_ALLOW, call, 1, SCMP_A0(SCMP_CMP_EQ, self)) != 0) {
      return Internal("cannot build the worker's system call filter");
    }
  }
  for (int call : kFatal) {
    if (seccomp_rule_add(filter.get(), SCMP_ACT_KILL_PROCESS, call, 0) != 0) {
      return Internal("cannot build the worker's system call filter");
    }
  }
  if (seccomp_load(filter.get()) != 0) return Internal("the kernel refused the system call filter");
  return Status::Ok();
#endif
}

}  // namespace pacsport::preview
