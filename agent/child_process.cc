#include "agent/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
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

// posix_spawn with the fork path's steps: new session, empty signal mask,
// SIGPIPE to default, stdio from the pipes or /dev/null, cwd. Returns the
// pid, or -1 when posix_spawn failed (nothing was started).
// The parent's side once the child runs: closes the child's pipe ends and
// keeps its own, non-blocking.
SpawnedChild ParentSide(pid_t pid, const int in[2], const int out[2], const int err[2]) {
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

pid_t SpawnFast(const SpawnOptions& options, const int in[2], const int out[2], const int err[2],
                char* const* argv, char* const* envp) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  if (::posix_spawn_file_actions_init(&actions) != 0) return -1;
  if (::posix_spawnattr_init(&attr) != 0) {
    ::posix_spawn_file_actions_destroy(&actions);
    return -1;
  }
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  if (options.new_session) flags |= POSIX_SPAWN_SETSID;
  sigset_t none;
  sigemptyset(&none);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  bool ok = ::posix_spawnattr_setflags(&attr, flags) == 0 &&
            ::posix_spawnattr_setsigmask(&attr, &none) == 0 &&
            ::posix_spawnattr_setsigdefault(&attr, &defaults) == 0;
  auto stdio = [&](bool piped, int pipe_fd, int target) {
    return piped
               ? ::posix_spawn_file_actions_adddup2(&actions, pipe_fd, target) == 0
               : ::posix_spawn_file_actions_addopen(&actions, target, "/dev/null", O_RDWR, 0) == 0;
  };
  ok = ok && stdio(options.pipe_stdin, in[0], 0) && stdio(options.pipe_stdout, out[1], 1) &&
       stdio(options.pipe_stderr, err[1], 2);
  if (ok && !options.cwd.empty()) {
    ok = ::posix_spawn_file_actions_addchdir_np(&actions, options.cwd.c_str()) == 0;
  }
  pid_t pid = -1;
  if (ok && ::posix_spawn(&pid, argv[0], &actions, &attr, argv, envp) != 0) pid = -1;
  ::posix_spawnattr_destroy(&attr);
  ::posix_spawn_file_actions_destroy(&actions);
  return pid;
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

  // Fast path: posix_spawn (glibc: clone(CLONE_VM|CLONE_VFORK)) does not
  // copy the agent's page tables, nor make the agent fault on copy-on-write
  // pages afterwards, as fork() does; for short ranks that was most of the
  // agent's CPU time. When it fails (bad cwd, missing binary), the fork path
  // below runs the same steps and reports the reason on the child's stderr
  // with exit code 127, as before.
  if (pid_t spawned = SpawnFast(options, in, out, err, argv.data(), envp.data()); spawned > 0) {
    return ParentSide(spawned, in, out, err);
  }

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
  return ParentSide(pid, in, out, err);
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
