#include "agent/rank_lifeline.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <thread>

namespace jobctl::agent {
namespace {

constexpr int kHelperFd = 3;
constexpr int kMaxGroups = 8192;

// The helper, in the forked child: system calls only (the agent has other
// threads; no allocation, no locks).
[[noreturn]] void HelperMain(int fd) {
  ::setsid();  // out of the agent's group: a signal to it does not reach us
  ::prctl(PR_SET_NAME, "jobagent-lifeline", 0, 0, 0);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCHLD}) {
    ::signal(sig, SIG_DFL);
  }
  ::signal(SIGPIPE, SIG_IGN);
  if (fd != kHelperFd) {
    ::dup2(fd, kHelperFd);
    ::close(fd);
  }
  int devnull = ::open("/dev/null", O_RDWR);
  if (devnull >= 0) {
    ::dup2(devnull, 0);
    ::dup2(devnull, 1);
  }
  // Hold nothing else of the agent's open (sockets, pipes of ranks, files).
  if (::syscall(SYS_close_range, kHelperFd + 1, ~0U, 0) != 0) {
    for (int other = kHelperFd + 1; other < 65536; ++other) ::close(other);
  }
  static pid_t groups[kMaxGroups];
  int count = 0;
  for (;;) {
    int32_t record = 0;
    ssize_t n = ::recv(kHelperFd, &record, sizeof(record), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // end-of-file: the agent is gone (or closed us)
    if (n != sizeof(record)) continue;
    if (record > 0 && count < kMaxGroups) {
      groups[count++] = record;
    } else if (record < 0) {
      for (int i = 0; i < count; ++i) {
        if (groups[i] == -record) {
          groups[i] = groups[--count];
          break;
        }
      }
    }
  }
  for (int i = 0; i < count; ++i) ::kill(-groups[i], SIGKILL);
  _exit(0);
}

std::string ErrnoText(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

}  // namespace

Status RankLifeline::Start() {
  if (fd_ >= 0) return Status::Ok();
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    return InternalError(ErrnoText("lifeline socketpair"));
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    Status s = InternalError(ErrnoText("lifeline fork"));
    ::close(pair[0]);
    ::close(pair[1]);
    return s;
  }
  if (pid == 0) {
    ::close(pair[0]);
    HelperMain(pair[1]);
  }
  ::close(pair[1]);
  fd_ = pair[0];
  helper_ = pid;
  return Status::Ok();
}

Status RankLifeline::Send(int record) {
  if (fd_ < 0) return FailedPreconditionError("the lifeline is not started");
  int32_t value = record;
  for (;;) {
    ssize_t n = ::send(fd_, &value, sizeof(value), MSG_NOSIGNAL);
    if (n == static_cast<ssize_t>(sizeof(value))) return Status::Ok();
    if (n < 0 && errno == EINTR) continue;
    return InternalError(ErrnoText("lifeline send"));
  }
}

Status RankLifeline::Restart() {
  // The helper is presumably dead; if not, it must not take the end-of-file
  // below for the agent's death.
  if (helper_ > 0) ::kill(helper_, SIGKILL);
  Close();
  JOBCTL_RETURN_IF_ERROR(Start());
  for (pid_t g : groups_) JOBCTL_RETURN_IF_ERROR(Send(g));
  return Status::Ok();
}

Status RankLifeline::Add(pid_t pgid) {
  if (pgid <= 0) return InvalidArgumentError("lifeline: bad process group " + std::to_string(pgid));
  JOBCTL_RETURN_IF_ERROR(Start());
  groups_.insert(pgid);
  if (Send(pgid).ok()) return Status::Ok();
  return Restart();
}

Status RankLifeline::Remove(pid_t pgid) {
  groups_.erase(pgid);
  if (fd_ < 0) return Status::Ok();
  if (Send(-pgid).ok()) return Status::Ok();
  return Restart();
}

void RankLifeline::Close() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (helper_ <= 0) return;
  // The helper exits as soon as it has read end-of-file and sent its kills.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  int status = 0;
  while (::waitpid(helper_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(helper_, SIGKILL);
      ::waitpid(helper_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  helper_ = -1;
}

}  // namespace jobctl::agent
