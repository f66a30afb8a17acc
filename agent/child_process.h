// Starting child processes and learning, asynchronously, that they exited.
//
// SpawnChild forks and execs argv[0] (no PATH search) with the given
// environment and working directory, optionally in a new session (so the
// child leads its own process group: kill(-pid, sig) reaches every process it
// started that did not leave the group), and with pipes for stdin, stdout and
// stderr. ExitWatcher turns a child's exit into a completion handler on an
// Asio io_context (a pidfd watched with async_wait; no SIGCHLD handler, so
// several watchers and several components coexist in one process).
//
// Thread-safety: SpawnChild is safe to call from any thread. An ExitWatcher
// belongs to the thread running its io_context.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/status.h"

namespace jobctl::agent {

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is an absolute path
  std::vector<std::string> env;   // "KEY=VALUE"
  std::string cwd;                // empty: the parent's
  bool new_session = false;       // setsid(): the child leads a new process group
  bool pipe_stdin = false;
  bool pipe_stdout = false;       // false: /dev/null
  bool pipe_stderr = false;       // false: /dev/null
};

struct SpawnedChild {
  pid_t pid = -1;
  int stdin_fd = -1;  // parent's ends, close-on-exec and non-blocking; -1 when not piped
  int stdout_fd = -1;
  int stderr_fd = -1;
};

// Errors: kInternal when pipe/fork fail; a failing exec (missing binary, bad
// cwd) shows up as exit code 127 of the child, with the reason on its stderr.
Result<SpawnedChild> SpawnChild(const SpawnOptions& options);

// How a child ended.
struct ExitInfo {
  int exit_code = 0;  // meaningful when signal == 0
  int signal = 0;     // the signal that killed it, 0 if it exited
  bool Succeeded() const { return signal == 0 && exit_code == 0; }
};

// Reaps one child and calls `on_exit` on the io_context when it has exited.
// Destroying the watcher cancels the notification (the child is then reaped
// by nobody: destroy a watcher only after its child exited or at shutdown).
class ExitWatcher {
 public:
  ExitWatcher(boost::asio::io_context& io, pid_t pid, std::function<void(ExitInfo)> on_exit);
  ~ExitWatcher();
  ExitWatcher(const ExitWatcher&) = delete;
  ExitWatcher& operator=(const ExitWatcher&) = delete;

  bool exited() const { return exited_; }

 private:
  void Arm();
  bool TryReap();

  pid_t pid_;
  std::function<void(ExitInfo)> on_exit_;
  std::unique_ptr<boost::asio::posix::stream_descriptor> pidfd_;
  std::unique_ptr<boost::asio::steady_timer> poll_timer_;  // when pidfd_open is unavailable
  bool exited_ = false;
};

}  // namespace jobctl::agent
