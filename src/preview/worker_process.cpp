#include "preview/worker_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace pacsport::preview {

namespace {

Status SetLimit(pid_t pid, __rlimit_resource resource, rlim_t soft, rlim_t hard) {
  const rlimit limit{soft, hard};
  if (::prlimit(pid, resource, &limit, nullptr) != 0) {
    return Unavailable(std::string("cannot limit the preview worker: ") + std::strerror(errno));
  }
  return Status::Ok();
}

// CPU seconds (user + system) used by `pid` so far, rounded up; from /proc/PID/stat,
// whose fields 14 and 15 count clock ticks.
Result<rlim_t> CpuSecondsUsed(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return Unavailable("preview worker is gone");
  // Field 2 is the command name in parentheses and may hold spaces: skip past it.
  std::istringstream fields(line.substr(line.rfind(')') + 2));
  std::string field;
  unsigned long long user = 0, system = 0;
  for (int index = 3; index <= 15 && fields >> field; ++index) {
    if (index == 14) user = std::stoull(field);
    if (index == 15) system = std::stoull(field);
  }
  const auto ticks = static_cast<unsigned long long>(::sysconf(_SC_CLK_TCK));
  return static_cast<rlim_t>((user + system + ticks - 1) / ticks);
}

std::string DescribeExit(int status) {
  if (WIFEXITED(status)) {
    if (WEXITSTATUS(status) == kExitOutOfMemory) return "ran out of memory";
    return "exited with status " + std::to_string(WEXITSTATUS(status));
  }
  if (WIFSIGNALED(status)) {
    const int signal = WTERMSIG(status);
    if (signal == SIGXCPU) return "exceeded its CPU time";
    const char* name = ::sigabbrev_np(signal);
    return std::string("crashed (") + (name ? std::string("SIG") + name : std::to_string(signal)) +
           ")";
  }
  return "ended";
}

// None of the server's variables: it may hold secrets (PACSPORT_JWT_SECRET). A
// sanitizer build passes on its runtime's options, which its tests set.
std::vector<std::string> WorkerEnvironment() {
  std::vector<std::string> environment;
#if defined(__SANITIZE_ADDRESS__)
  for (const char* name : {"ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS"}) {
    if (const char* value = std::getenv(name))
      environment.push_back(name + ("=" + std::string(value)));
  }
#endif
  return environment;
}

}  // namespace

Result<std::unique_ptr<WorkerProcess>> WorkerProcess::Start(const std::filesystem::path& executable,
                                                            uint64_t memory_limit_bytes) {
  int sockets[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) != 0) {
    return Unavailable(std::string("cannot create a socket: ") + std::strerror(errno));
  }
  int errors[2];
  if (::pipe2(errors, O_CLOEXEC) != 0) {
    ::close(sockets[0]);
    ::close(sockets[1]);
    return Unavailable(std::string("cannot create a pipe: ") + std::strerror(errno));
  }
  ::fcntl(errors[0], F_SETFL, O_NONBLOCK);  // cannot fail on a pipe we own
  // The child keeps only its socket (as stdin), /dev/null and the stderr pipe: no
  // client connection or database file of the server's leaks into it. Its end of
  // the pipe blocks, as a stderr is expected to.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, sockets[1], STDIN_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, errors[1], STDERR_FILENO);
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
  const std::string path = executable.string();
  char* argv[] = {const_cast<char*>(path.c_str()), nullptr};
  std::vector<std::string> environment = WorkerEnvironment();
  std::vector<char*> envp;
  for (std::string& variable : environment) envp.push_back(variable.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, path.c_str(), &actions, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(sockets[1]);
  ::close(errors[1]);
  if (spawned != 0) {
    ::close(sockets[0]);
    ::close(errors[0]);
    return Unavailable("cannot start " + path + ": " + std::strerror(spawned));
  }
  std::unique_ptr<WorkerProcess> worker(new WorkerProcess(pid, sockets[0], errors[0]));
  for (Status limited :
       {SetLimit(pid, RLIMIT_CORE, 0, 0),
        memory_limit_bytes > 0 ? SetLimit(pid, RLIMIT_AS, memory_limit_bytes, memory_limit_bytes)
                               : Status::Ok()}) {
    if (!limited.ok()) return limited.error();
  }
  return worker;
}

WorkerProcess::~WorkerProcess() {
  End(std::chrono::milliseconds(0));
  ::close(socket_);
}

Status WorkerProcess::GrantCpu(std::chrono::seconds allowance) {
  Result<rlim_t> used = CpuSecondsUsed(pid_);
  if (!used.ok()) return used.error();
  // Only the soft limit moves: lowering the hard one could never be undone without
  // privileges.
  rlimit current{};
  if (::prlimit(pid_, RLIMIT_CPU, nullptr, &current) != 0) {
    return Unavailable("preview worker is gone");
  }
  return SetLimit(pid_, RLIMIT_CPU, *used + static_cast<rlim_t>(allowance.count()),
                  current.rlim_max);
}

std::string WorkerProcess::End(std::chrono::milliseconds grace) {
  if (!ending_) {
    ending_ = Reap(grace);
    stderr_.Finish();
  }
  return *ending_;
}

std::string WorkerProcess::Reap(std::chrono::milliseconds grace) {
  ::shutdown(socket_, SHUT_RDWR);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  int status = 0;
  while (true) {
    const pid_t reaped = ::waitpid(pid_, &status, WNOHANG);
    if (reaped == pid_) return DescribeExit(status);
    if (reaped < 0 && errno != EINTR) return "ended";
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ::kill(pid_, SIGKILL);
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  return "was stopped";
}

}  // namespace pacsport::preview
