#include "agent/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace jobctl::agent {
namespace {

std::string ErrnoText(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

void CloseIf(int fd) {
  if (fd >= 0) ::close(fd);
}

// Writes a message to fd 2 without allocating (after fork).
void ChildFail(const char* what, const char* arg) {
  const char* err = std::strerror(errno);
  auto put = [](const char* s) {
    ssize_t ignored = ::write(2, s, std::strlen(s));
    (void)ignored;
  };
  put("jobagent: ");
  put(what);
  put(" ");
  put(arg);
  put(": ");
  put(err);
  put("\n");
  _exit(127);
}

}  // namespace

Result<SpawnedChild> SpawnChild(const SpawnOptions& options) {
  if (options.argv.empty()) return InvalidArgumentError("SpawnChild: empty argv");
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  auto close_all = [&] {
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) CloseIf(fd);
  };
  if ((options.pipe_stdin && ::pipe2(in, O_CLOEXEC) != 0) ||
      (options.pipe_stdout && ::pipe2(out, O_CLOEXEC) != 0) ||
      (options.pipe_stderr && ::pipe2(err, O_CLOEXEC) != 0)) {
    Status s = InternalError(ErrnoText("pipe2"));
    close_all();
    return s;
  }
  // Everything the child needs is built before fork: no allocation after it.
  std::vector<char*> argv;
  for (const auto& a : options.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : options.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  pid_t pid = ::fork();
  if (pid < 0) {
    Status s = InternalError(ErrnoText("fork"));
    close_all();
    return s;
  }
  if (pid == 0) {
    if (options.new_session) ::setsid();
    // Signals the agent ignores or blocks must not leak into the job.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    int devnull = ::open("/dev/null", O_RDWR);
    ::dup2(options.pipe_stdin ? in[0] : devnull, 0);
    ::dup2(options.pipe_stdout ? out[1] : devnull, 1);
    ::dup2(options.pipe_stderr ? err[1] : devnull, 2);
    if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0) {
      ChildFail("cannot change directory to", options.cwd.c_str());
    }
    ::execve(argv[0], argv.data(), envp.data());
    ChildFail("cannot execute", argv[0]);
  }
  SpawnedChild child;
  child.pid = pid;
  CloseIf(in[0]);
  CloseIf(out[1]);
  CloseIf(err[1]);
  child.stdin_fd = in[1];
  child.stdout_fd = out[0];
  child.stderr_fd = err[0];
  for (int fd : {child.stdin_fd, child.stdout_fd, child.stderr_fd}) {
    if (fd >= 0) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
  return child;
}

ExitWatcher::ExitWatcher(boost::asio::io_context& io, pid_t pid,
                         std::function<void(ExitInfo)> on_exit)
    : pid_(pid), on_exit_(std::move(on_exit)) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd >= 0) {
    pidfd_ = std::make_unique<boost::asio::posix::stream_descriptor>(io, fd);
  } else {
    poll_timer_ = std::make_unique<boost::asio::steady_timer>(io);
  }
  Arm();
}

ExitWatcher::~ExitWatcher() {
  if (pidfd_) pidfd_->close();
  if (poll_timer_) poll_timer_->cancel();
}

bool ExitWatcher::TryReap() {
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == 0) return false;
  ExitInfo info;
  if (r < 0) {
    info.exit_code = -1;  // not our child any more: nothing to learn
  } else if (WIFEXITED(status)) {
    info.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    info.signal = WTERMSIG(status);
    info.exit_code = 128 + info.signal;
  }
  exited_ = true;
  if (pidfd_) pidfd_->close();
  auto cb = std::move(on_exit_);
  cb(info);  // may destroy this watcher: nothing after it
  return true;
}

void ExitWatcher::Arm() {
  if (pidfd_) {
    pidfd_->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                       [this](const boost::system::error_code& ec) {
                         if (ec) return;  // cancelled: the watcher is gone
                         if (!TryReap()) Arm();
                       });
  } else {
    poll_timer_->expires_after(std::chrono::milliseconds(10));
    poll_timer_->async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      if (!TryReap()) Arm();
    });
  }
}

}  // namespace jobctl::agent
